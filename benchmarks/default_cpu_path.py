"""Speed of what `superres upscale photo.png` runs on a CPU (the shipped int8 ONNX of the default model, through
the torch-free OnnxUpscaler) against plain eager fp32 PyTorch and the fp32 torch Upscaler, in one run.

    python benchmarks/default_cpu_path.py [--size 256] [--repeats 3]
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
    args = parser.parse_args()
    from export.onnx_upscaler import OnnxUpscaler
    from superres.pretrained import load_sr_model
    from superres.upscaler import Upscaler
    from superres.weights import int8_path

    model, _ = load_sr_model("default")
    pixels = np.random.default_rng(0).integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    out_mp = (args.size * 4) ** 2 / 1e6
    rows = {}
    with torch.inference_mode():
        rows["plain eager fp32 (model(x), whole image)"] = best_time(lambda: model(x), args.repeats)
    rows["fp32 torch Upscaler (--precision fp32, tile 256)"] = best_time(lambda: Upscaler(model, device="cpu").upscale_array(pixels), args.repeats)
    int8 = OnnxUpscaler(int8_path("default"), device="cpu")
    rows["shipped int8 OnnxUpscaler (the CPU default, tile 256)"] = best_time(lambda: int8.upscale_array(pixels), args.repeats)
    peak = matmul_gflops(args.repeats)
    eager = rows["plain eager fp32 (model(x), whole image)"]
    print(f"input {args.size}x{args.size} -> x4, threads {torch.get_num_threads()}, 2048^2 fp32 matmul {peak:.0f} GFLOP/s\n")
    print("| path | s / image | output MP/s | vs plain eager |\n|---|---|---|---|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.3f} | {out_mp / seconds:.2f} | {eager / seconds:.2f}x |")


if __name__ == "__main__":
    main()
