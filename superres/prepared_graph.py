"""A model file's ONNX graph, prepared once for this CPU where onnxruntime runs it faster than torch.

Measured in ``benchmarks/peer_loop_speed.py`` (this CPU, 2 threads): onnxruntime's fp32 NCHWc convolutions run
RRDBNet 1.17x faster than torch's oneDNN ones, while SRVGGNetCompact's per-channel PReLU breaks onnxruntime's NCHWc
chain (a reorder around each of its 33 layers) and runs 0.7x. Which engine wins depends on the architecture and the
CPU, so ``superres upscale --model X.pth`` on a CPU exports X once to a verified fp32 ONNX graph, times both engines
on one probe image, and keeps the faster; the decision (and the graph, if it won) is cached by the weights file's
SHA-256 under ``$GANSUITE_CACHE_DIR/cpu_graphs`` (default ``~/.cache/gansuite/cpu_graphs``). A network with
PReLU stays on torch without an export (the measured loss above). ``--backend torch`` skips all of it. fp32 only: int8 needs a calibration set, and ``superres export --int8`` decides that with one.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

from common.core.console import log
from common.core.timing import interleaved_median_seconds
from common.core.files import write_bytes_atomic

MIN_FILE_BYTES = 2_000_000  # about 1M fp16 / 0.5M fp32 parameters: below it, export time is not paid back
PROBE_SIDES = (64, 192)  # probe side bounds: a tile's steady state; a 192² probe is ~15 s a run on RRDBNet x4plus
MIN_SPEEDUP = 1.05  # onnxruntime must win by more than one short timing's noise
PRELU_REASON = ("per-channel PReLU: onnxruntime cannot fuse it into its NCHWc convolutions and reorders around each one "
                "(realesr-general-x4v3: 0.72-0.80x of torch, benchmarks/peer_loop_speed.py)")
DECISION_BYTES = 4096  # a decision file is a few hundred bytes; anything larger is not ours


def cpu_graphs_dir() -> Path:
    configured = os.environ.get("GANSUITE_CACHE_DIR")
    if configured:
        return Path(configured) / "cpu_graphs"
    import platformdirs

    return Path(platformdirs.user_cache_dir("gansuite")) / "cpu_graphs"


def cpu_name() -> str:
    """The CPU's model name (the decision is redone on another CPU)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def file_key(path: Path, arch: str) -> str:
    from export.metadata import project_version

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{digest.hexdigest()[:32]}-{arch}-{project_version()}"


def read_decision(path: Path) -> dict | None:
    """The cached decision, or None when absent, unreadable or not ours (it is then simply made again)."""
    try:
        if path.stat().st_size > DECISION_BYTES:
            return None
        decision = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return decision if isinstance(decision, dict) and decision.get("engine") in ("onnx", "torch") else None


def prepared_cpu_graph(spec: str, arch: str = "auto", threads: int = 0) -> Path | None:
    """The cached fp32 ONNX graph of the model file ``spec`` when onnxruntime measured faster than torch on this
    CPU, else None (run it with torch). The first call for a file exports and times it, then caches the outcome.

    Raises:
        UserError: the model cannot be loaded (as with torch).
    """
    from superres.pretrained import resolve_model_path

    source = resolve_model_path(spec)
    if not source.is_file() or source.stat().st_size < MIN_FILE_BYTES:
        return None
    folder = cpu_graphs_dir()
    key = file_key(source, arch)
    graph, decision_path = folder / f"{key}.onnx", folder / f"{key}.json"
    decision = read_decision(decision_path)
    stale = decision is None or decision.get("cpu") != cpu_name() or decision.get("threads") != threads
    if stale or (decision["engine"] == "onnx" and not graph.is_file()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log(f"[yellow]warning:[/] {folder}: cannot cache a CPU graph ({exc.strerror}); running with torch")
            return None
        decision = decide(spec, arch, threads, graph)
        write_bytes_atomic(decision_path, json.dumps(decision, indent=1).encode())
    return graph if decision["engine"] == "onnx" and graph.is_file() else None


def decide(spec: str, arch: str, threads: int, graph: Path) -> dict:
    """Export ``spec`` to ``graph`` (verified), time both engines, keep the graph only if onnxruntime won."""
    from superres.onnx import export_sr_model
    from superres.pretrained import load_sr_model

    import torch

    model, _ = load_sr_model(spec, arch)  # a file that cannot be loaded is the same one-line error as on the torch path
    base = {"cpu": cpu_name(), "threads": threads, "source": str(spec)}
    if any(isinstance(module, torch.nn.PReLU) for module in model.modules()):
        return {**base, "engine": "torch", "reason": PRELU_REASON}  # known without an export: do not spend one
    log(f"{spec}: preparing this CPU's engine, once (ONNX export and timing; cached in {graph.parent})")
    try:
        with tempfile.TemporaryDirectory(dir=graph.parent, prefix=".prepare.") as tmp:
            candidate = Path(tmp) / graph.name
            export_sr_model(spec, candidate, arch=arch, announce=False)  # verified all the same
            onnx_s, torch_s = time_engines(spec, arch, candidate, threads)
            faster = onnx_s * MIN_SPEEDUP < torch_s
            if faster:
                os.replace(candidate, graph)
                os.replace(Path(f"{candidate}.json"), Path(f"{graph}.json"))
    except Exception as exc:  # noqa: BLE001 - whatever stops the export (an untraceable architecture), torch still runs it
        log(f"[yellow]note:[/] {spec}: no ONNX graph ({str(exc).splitlines()[0][:160]}); running with torch")
        return {**base, "engine": "torch", "reason": "export failed"}
    log(f"{spec}: {'onnxruntime' if faster else 'torch'} runs it on this CPU (probe: onnxruntime {onnx_s:.2f} s, torch {torch_s:.2f} s)")
    return {**base, "engine": "onnx" if faster else "torch", "onnx_s": round(onnx_s, 4), "torch_s": round(torch_s, 4)}


def probe_side(model) -> int:
    """The side of a square tile whose widest feature map fills the last-level cache: the tiles ``--tile auto``
    runs a large image in (a smaller probe fits in cache where real tiles do not, and flatters onnxruntime's
    reorders around PReLU), within :data:`PROBE_SIDES`, a multiple of 8 (every ``tile_multiple``)."""
    from common.tiling.feature_size import cpu_tile_budget

    budget = cpu_tile_budget(model, multiple=getattr(model, "multiple_of", 1))
    if not budget.cache_bytes:
        return PROBE_SIDES[1]
    side = int((budget.cache_bytes / budget.feature_bytes_per_pixel) ** 0.5)
    return min(max(side, PROBE_SIDES[0]), PROBE_SIDES[1]) // 8 * 8


def time_engines(spec: str, arch: str, graph: Path, threads: int, rounds: int = 2) -> tuple[float, float]:
    """Median seconds of (onnxruntime, torch) upscaling one probe tile (:func:`probe_side`), whole, each path as
    the CLI runs it; rounds interleaved, after one untimed warm-up each on a small crop."""
    from common.core.device import limit_cpu_threads
    from export.onnx_upscaler import OnnxUpscaler
    from superres.upscaler import Upscaler

    limit_cpu_threads(threads)
    engines = [OnnxUpscaler(graph, device="cpu", threads=threads, tile=0), Upscaler.from_pretrained(spec, arch, device="cpu", tile=0)]
    side = probe_side(engines[1].model)
    probe = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    for engine in engines:
        engine.upscale_array(probe[:32, :32])
    onnx_s, torch_s = interleaved_median_seconds([lambda e=engine: e.upscale_array(probe) for engine in engines], rounds)
    return onnx_s, torch_s
