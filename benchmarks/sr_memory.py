"""Peak memory of `superres upscale` on a large image (default 4000x3000 -> x4 = 16000x12000) on the CPU.

    python benchmarks/sr_memory.py [--width 4000 --height 3000 --tile 256]

Reports the peak resident set size (ru_maxrss) against the output array's size: tiling keeps the input on the
CPU as uint8 and writes each tile straight into the uint8 output, so the peak should be about
output + input + a constant (model, one tile, libraries).
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()

    from common.io.batch import OutputOptions, process_files
    from common.io.images import write_image
    from superres.upscaler import Upscaler

    upscaler = Upscaler.from_pretrained(args.model, device="cpu", tile=args.tile)
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        # A smooth image compresses like a photo (random noise would make PNG encoding the bottleneck).
        small = rng.integers(0, 256, (args.height // 50 + 1, args.width // 50 + 1, 3), dtype=np.uint8)
        pixels = np.kron(small, np.ones((50, 50, 1), dtype=np.uint8))[: args.height, : args.width]
        source = Path(tmp) / "big.png"
        write_image(source, pixels)
        del pixels, small
        baseline = rss_mb()
        start = time.perf_counter()
        failures = process_files(upscaler.upscale_array, [str(source)], OutputOptions(output=str(Path(tmp) / "out"), suffix="_x4", max_pixels=None))
        seconds = time.perf_counter() - start
        assert not failures
        output_mb = args.width * args.height * 3 * upscaler.scale**2 / 2**20
        input_mb = args.width * args.height * 3 / 2**20
        peak = rss_mb()
        print(f"input {args.width}x{args.height} (uint8 {input_mb:.0f} MiB) -> x{upscaler.scale} output "
              f"{args.width * upscaler.scale}x{args.height * upscaler.scale} (uint8 {output_mb:.0f} MiB), tile {args.tile}")
        print(f"RSS before upscaling {baseline:.0f} MiB; peak RSS {peak:.0f} MiB = output + {peak - output_mb:.0f} MiB; "
              f"{seconds:.0f} s including reading and PNG writing")


if __name__ == "__main__":
    main()
