"""Upscale throughput (output megapixels per second) of the SR inference paths, measured in one run.

    python benchmarks/sr_throughput.py [--size 128] [--repeats 5] [--json out.json]

For the embedded models (``default``: real-world, ``clean``: bicubic-trained, the previous default) and the
paper SRResNet (random weights: speed does not depend on them): plain eager NCHW fp32 PyTorch, the shipped
`Upscaler` path (channels_last), TorchScript frozen + optimize_for_inference, onnxruntime fp32 and int8, the
shipped int8 file that ``superres upscale`` runs on a CPU, and MATLAB bicubic. Also a 2048^2 fp32 matmul, the
practical compute limit of the machine, and the GFLOP/s each path achieves. Ratios are within one run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_time, matmul_gflops  # noqa: E402
from common.degrade.matlab_bicubic import imresize  # noqa: E402
from superres.models import SRResNet, srresnet_paper_config  # noqa: E402
from superres.pretrained import load_sr_model  # noqa: E402
from superres.weights import int8_path  # noqa: E402


def conv_macs(model: torch.nn.Module, x: torch.Tensor) -> int:
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        kernel = module.weight.shape[1] * module.weight.shape[2] * module.weight.shape[3]
        total += output.numel() * kernel

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return total


def bench_model(name: str, model: torch.nn.Module, size: int, repeats: int, calib_dir: str | None, shipped_int8: Path | None = None) -> list[dict]:
    from common.core.config import config_to_dict
    from common.weights.model_files import save_weights
    from export.runtime import OnnxSession
    from export.int8_choice import Int8Policy
    from superres.onnx import export_sr_model
    from superres.upscaler import Upscaler

    model = model.eval()
    x = torch.rand(1, 3, size, size)
    out_mp = (size * model.config.scale) ** 2 / 1e6
    flops = 2 * conv_macs(model, x)
    rows = []

    def add(path: str, seconds: float) -> None:
        rows.append({"model": name, "path": path, "seconds": seconds, "out_mp_per_s": out_mp / seconds, "gflops": flops / seconds / 1e9})

    with torch.inference_mode():
        add("eager NCHW fp32", best_time(lambda: model(x), repeats))
        upscaler = Upscaler(model, device="cpu", tile=0)
        pixels = (np.random.default_rng(0).random((size, size, 3)) * 255).astype(np.uint8)
        add("shipped Upscaler (channels_last)", best_time(lambda: upscaler.upscale_array(pixels), repeats))
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(SRResNet(model.config).eval().requires_grad_(False), x)))
        add("TorchScript frozen + optimize_for_inference", best_time(lambda: frozen(x), repeats))
        add("MATLAB bicubic (reference)", best_time(lambda: imresize(x, float(model.config.scale)), repeats))
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "m.safetensors"
        save_weights(model, weights, "srresnet", config_to_dict(model.config))
        export_sr_model(str(weights), Path(tmp) / "fp32.onnx")
        session = OnnxSession(Path(tmp) / "fp32.onnx", device="cpu")
        add("onnxruntime fp32", best_time(lambda: session.run_array(x.numpy()), repeats))
        if calib_dir:
            export_sr_model(str(weights), Path(tmp) / "int8.onnx", int8_calibration=calib_dir, int8_policy=Int8Policy(keep=True))  # the int8 graph itself, measured
            quantized = OnnxSession(Path(tmp) / "int8.onnx", device="cpu")
            add("onnxruntime int8", best_time(lambda: quantized.run_array(x.numpy()), repeats))
    if shipped_int8 is not None:
        shipped = OnnxSession(shipped_int8, device="cpu")
        add("shipped int8 file (superres upscale on a CPU)", best_time(lambda: shipped.run_array(x.numpy()), repeats))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="LR input side (default 128)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calib", default=str(Path(__file__).resolve().parents[2] / "shared/data/sr/train/BSDS400"), help="int8 calibration images")
    parser.add_argument("--json")
    args = parser.parse_args()
    calib = args.calib if Path(args.calib).is_dir() else None
    torch.manual_seed(0)
    models = [("default (real-world)", load_sr_model("default")[0], int8_path("default")),
              ("clean (previous default)", load_sr_model("clean")[0], int8_path("clean")),
              ("paper SRResNet x4", SRResNet(srresnet_paper_config(4)), None)]
    peak = matmul_gflops(args.repeats)
    rows = [row for name, model, shipped in models for row in bench_model(name, model, args.size, args.repeats, calib, shipped)]
    print(f"threads {torch.get_num_threads()}, input {args.size}x{args.size} -> x4; 2048^2 fp32 matmul: {peak:.1f} GFLOP/s\n")
    print("| model | path | s / image | output MP/s | vs eager | conv GFLOP/s (% of matmul) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        eager = next(r for r in rows if r["model"] == row["model"] and r["path"].startswith("eager"))
        share = "" if "bicubic" in row["path"] else f"{row['gflops']:.1f} ({100 * row['gflops'] / peak:.0f}%)"
        print(f"| {row['model']} | {row['path']} | {row['seconds']:.3f} | {row['out_mp_per_s']:.3f} | {eager['seconds'] / row['seconds']:.2f}x | {share} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"matmul_gflops": peak, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
