"""CPU speed of the imported Real-ESRGAN architectures at their released sizes, measured in one run.

    python benchmarks/imported_sr_speed.py [--size 256] [--repeats 2] [--models rrdbnet compact] [--json out.json]

RRDBNet (RealESRGAN_x4plus: 23 blocks, 64 features, growth 32) and SRVGGNetCompact (realesr-general-x4v3), random
weights (speed does not depend on them), a ``size``^2 RGB input upscaled x4 with the default 256-pixel tiles:

- plain eager: the network called on the whole NCHW float tensor, as Real-ESRGAN's RealESRGANer does with tile=0;
- shipped torch: ``Upscaler`` (channels_last, the default tiles and exact pads, uint8 in and out);
- onnxruntime fp32 / int8: ``Upscaler.from_onnx`` on files made by ``superres export`` (int8 calibrated on
  BSDS400 crops when ../shared/data is present);
- the same-run 2048^2 fp32 matmul rate, the practical compute ceiling the conv GFLOP/s are read against.
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

from benchmarks.sr_throughput import conv_macs  # noqa: E402
from benchmarks.timing import best_time, matmul_gflops  # noqa: E402
from superres.compact import CompactConfig, CompactSR  # noqa: E402
from superres.rrdbnet import RRDBNet, RRDBNetConfig  # noqa: E402

CALIBRATION = Path(__file__).resolve().parents[2] / "shared/data/sr/train/BSDS400"
MODELS = {"rrdbnet": lambda: RRDBNet(RRDBNetConfig()), "compact": lambda: CompactSR(CompactConfig())}


def bench(name: str, model: torch.nn.Module, size: int, repeats: int, calibration: Path | None) -> list[dict]:
    from common.core.config import config_to_dict
    from common.weights.model_files import save_weights
    from superres.architectures import model_kind
    from export.int8_choice import Int8Policy
    from superres.onnx import export_sr_model
    from superres.upscaler import Upscaler

    model = model.eval().requires_grad_(False)
    x = torch.rand(1, 3, size, size)
    pixels = (x[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    out_mp = (size * model.config.scale) ** 2 / 1e6
    flops = 2 * conv_macs(model, x)
    rows: list[dict] = []

    def add(path: str, seconds: float) -> None:
        rows.append({"model": name, "path": path, "seconds": seconds, "out_mp_per_s": out_mp / seconds, "gflops": flops / seconds / 1e9})
        print(f"  {name}: {path}: {seconds:.2f} s", flush=True)

    with torch.inference_mode():
        add("plain eager fp32 (whole image)", best_time(lambda: model(x), repeats))
    add("shipped torch Upscaler (tile 256)", best_time(lambda: Upscaler(model, device="cpu").upscale_array(pixels), repeats))
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "m.safetensors"
        save_weights(model, weights, model_kind(model.config), config_to_dict(model.config))
        export_sr_model(str(weights), Path(tmp) / "fp32.onnx")
        fp32 = Upscaler.from_onnx(Path(tmp) / "fp32.onnx", device="cpu")
        add("onnxruntime fp32 Upscaler (tile 256)", best_time(lambda: fp32.upscale_array(pixels), repeats))
        if calibration is not None:
            export_sr_model(str(weights), Path(tmp) / "int8.onnx", int8_calibration=str(calibration), int8_policy=Int8Policy(keep=True))  # the int8 graph itself, measured
            int8 = Upscaler.from_onnx(Path(tmp) / "int8.onnx", device="cpu")
            add("onnxruntime int8 Upscaler (tile 256)", best_time(lambda: int8.upscale_array(pixels), repeats))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="LR input side (default 256)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["rrdbnet", "compact"])
    parser.add_argument("--calib", default=str(CALIBRATION), help="int8 calibration images (skipped when absent)")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.manual_seed(0)
    calibration = Path(args.calib) if Path(args.calib).is_dir() else None
    peak = matmul_gflops(3)
    rows = [row for name in args.models for row in bench(name, MODELS[name](), args.size, args.repeats, calibration)]
    print(f"\nthreads {torch.get_num_threads()}, input {args.size}x{args.size} -> x4; 2048^2 fp32 matmul: {peak:.1f} GFLOP/s\n")
    print("| model | path | s / image | output MP/s | vs plain eager | conv GFLOP/s (% of matmul) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        eager = next(r for r in rows if r["model"] == row["model"] and r["path"].startswith("plain eager"))
        print(f"| {row['model']} | {row['path']} | {row['seconds']:.2f} | {row['out_mp_per_s']:.3f} | "
              f"{eager['seconds'] / row['seconds']:.2f}x | {row['gflops']:.0f} ({100 * row['gflops'] / peak:.0f}%) |")
    if args.json:
        Path(args.json).write_text(json.dumps({"matmul_gflops": peak, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
