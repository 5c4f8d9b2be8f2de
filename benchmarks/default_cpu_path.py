"""Speed of what `superres upscale photo.png` runs on a CPU (the shipped int8 ONNX of the default model, through
the torch-free OnnxUpscaler) against plain eager fp32 PyTorch and the fp32 torch Upscaler, in one run.

    python benchmarks/default_cpu_path.py [--size 256] [--repeats 3] [--models default gan]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_time, matmul_gflops  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="input side in pixels")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["default"], help="embedded models, each timed in the same run")
    args = parser.parse_args()
    from export.onnx_upscaler import OnnxUpscaler
    from superres.pretrained import load_sr_model
    from superres.upscaler import Upscaler
    from superres.weights import int8_path

    pixels = np.random.default_rng(0).integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    out_mp = (args.size * 4) ** 2 / 1e6
    rows = {}
    for name in args.models:
        model, _ = load_sr_model(name)
        with torch.inference_mode():
            rows[f"{name}: plain eager fp32 (model(x), whole image)"] = best_time(lambda: model(x), args.repeats)
        rows[f"{name}: fp32 torch Upscaler (--precision fp32, tile 256)"] = best_time(lambda: Upscaler(model, device="cpu").upscale_array(pixels), args.repeats)
        int8 = OnnxUpscaler(int8_path(name), device="cpu")
        rows[f"{name}: shipped int8 OnnxUpscaler (the CPU default, tile 256)"] = best_time(lambda: int8.upscale_array(pixels), args.repeats)
    peak = matmul_gflops(args.repeats)
    eager = rows[f"{args.models[0]}: plain eager fp32 (model(x), whole image)"]
    print(f"input {args.size}x{args.size} -> x4, threads {torch.get_num_threads()}, 2048^2 fp32 matmul {peak:.0f} GFLOP/s\n")
    print(f"| path | s / image | output MP/s | vs {args.models[0]} plain eager |\n|---|---|---|---|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.3f} | {out_mp / seconds:.2f} | {eager / seconds:.2f}x |")


if __name__ == "__main__":
    main()
