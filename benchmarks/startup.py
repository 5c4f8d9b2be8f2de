"""Wall time from command to result for the CLI's quick jobs, where start-up is most of the time.

    python benchmarks/startup.py [--repeats 3]

Each command runs in a fresh process (best of N): ``superres --help``, ``translate --help``,
``superres upscale --model x.onnx`` on a 32x32 image (onnxruntime only, torch never imported) and the same
image through the embedded torch model.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wall_time(argv: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from common.io.images import write_image
    from superres.onnx import export_sr_model

    with tempfile.TemporaryDirectory() as tmp:
        image, model = Path(tmp) / "tiny.png", Path(tmp) / "sr_x4.onnx"
        write_image(image, np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
        export_sr_model("default", model)
        python = [sys.executable, "-m"]
        cases = {
            "superres --help": python + ["superres.cli", "--help"],
            "translate --help": python + ["translate.cli", "--help"],
            "superres upscale --model x.onnx tiny.png (onnxruntime)": python + ["superres.cli", "upscale", str(image), "--model", str(model), "-o", f"{tmp}/a.png", "--overwrite"],
            "superres upscale tiny.png (embedded torch model)": python + ["superres.cli", "upscale", str(image), "-o", f"{tmp}/b.png", "--overwrite"],
            "python -c 'import torch' (reference point)": [sys.executable, "-c", "import torch"],
        }
        print("| command | wall time (best of %d) |\n|---|---|" % args.repeats)
        for name, argv in cases.items():
            print(f"| `{name}` | {wall_time(argv, args.repeats):.2f} s |", flush=True)


if __name__ == "__main__":
    main()
