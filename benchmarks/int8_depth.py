"""Bit depth and agreement of int8 ONNX upscalers with the fp32 torch default model.

    python benchmarks/int8_depth.py [--onnx superres/weights/real_x4_int8.onnx ...] [--image ../shared/data/sr/Set14/baboon.png]

For each file: distinct output levels per channel of a 16-bit gradient image (fp32 torch keeps ~50,000; an int8
graph that quantises its image path keeps ~220), PSNR and largest difference of an 8-bit photo crop against fp32
torch, and the median time of 5 runs (same process, interleaved, so only the ratio means anything).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.io.images import read_rgb8  # noqa: E402
from export.onnx_upscaler import OnnxUpscaler  # noqa: E402
from superres.upscaler import Upscaler  # noqa: E402


def gradient16(side: int = 96) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    return np.stack([(xx * 600 + yy * 13) % 65536, (yy * 650) % 65536, ((xx + yy) * 330) % 65536], 2).astype(np.uint16)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", nargs="+", default=["superres/weights/real_x4_int8.onnx"])
    parser.add_argument("--image", default="../shared/data/sr/Set14/baboon.png")
    args = parser.parse_args(argv)
    if not Path(args.image).is_file():
        parser.error(f"--image {args.image}: not found")
    photo, img16 = read_rgb8(args.image)[:160, :160], gradient16()
    fp32 = Upscaler.from_pretrained("default", device="cpu", tile=0)
    ref8, ref16 = fp32.upscale_array(photo), fp32.upscale_array(img16)
    print(f"fp32 torch: 16-bit levels {[len(np.unique(ref16[..., c])) for c in range(3)]}")
    for path in args.onnx:
        up = OnnxUpscaler(path, device="cpu", threads=2, tile=0)
        out8, out16 = up.upscale_array(photo), up.upscale_array(img16)
        mse = np.mean((out8.astype(np.float64) - ref8) ** 2)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            up.upscale_array(photo)
            times.append(time.perf_counter() - started)
        print(f"{path}: 16-bit levels {[len(np.unique(out16[..., c])) for c in range(3)]}; 8-bit vs fp32 torch "
              f"{10 * np.log10(255**2 / mse):.2f} dB, max {np.abs(out8.astype(int) - ref8).max()} levels; "
              f"median {np.median(times) * 1000:.0f} ms (160x160 at x4)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
