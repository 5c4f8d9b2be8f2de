"""CycleGAN training speed on this machine: iterations/s at 128 and 256 px, batch 1, ngf 64 (reference sizes).

    python benchmarks/cyclegan_speed.py [--sizes 128 256] [--iters 3]

Runs the real training step (both G, both D, pools, LSGAN, Adam) on random data, in eager NCHW and with
channels_last, in one process, and reports the peak RSS. The reference implementation does the same work per
iteration (6 G + 6 D forwards in the reference; 4 G + 4 D here without identity, 6 + 4 with it).
"""
from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def time_iterations(size: int, iters: int, channels_last: bool, identity: float) -> float:
    from translate.train import CycleGANConfig, build_cyclegan_step

    torch.manual_seed(0)
    step = build_cyclegan_step(CycleGANConfig(data="unused", lambda_identity=identity), steps_per_epoch=1000, device=torch.device("cpu"))
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    for net in step.nets.values():
        net.to(memory_format=memory_format)
    batch = {key: torch.rand(1, 3, size, size).mul(2).sub(1).contiguous(memory_format=memory_format) for key in ("a", "b")}
    step.run(batch, 0, contextlib.nullcontext)  # warm-up
    start = time.perf_counter()
    for index in range(iters):
        step.run(batch, index + 1, contextlib.nullcontext)
    return iters / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--identity", type=float, default=0.0)
    args = parser.parse_args()
    print(f"threads {torch.get_num_threads()}, batch 1, ngf 64, 9 blocks, identity {args.identity}")
    print("| size | eager NCHW it/s (s/it) | channels_last it/s (s/it) |")
    print("|---|---|---|")
    for size in args.sizes:
        eager = time_iterations(size, args.iters, False, args.identity)
        last = time_iterations(size, args.iters, True, args.identity)
        print(f"| {size} | {eager:.3f} ({1 / eager:.2f}) | {last:.3f} ({1 / last:.2f}) |")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
