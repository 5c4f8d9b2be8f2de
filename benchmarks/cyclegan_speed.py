"""CycleGAN training speed on this machine: seconds per iteration at 128 and 256 px, batch 1, ngf 64.

    python benchmarks/cyclegan_speed.py [--sizes 128 256] [--iters 4] [--identity 0 0.5] [--compile]

Runs the real training step (both G, both D, pools, LSGAN, Adam) on random data at the reference sizes, with
the identity loss off (``--preset reference``) and at 0.5 (the reference code's default; any weight above 0, the
default preset's 0.1 too, costs the same 2 more G passes), in eager NCHW, with
channels_last and, with --compile, with both generators under torch.compile (compile time excluded). Each
figure is the best of ``--iters`` iterations, the least disturbed by other work on a shared machine. The FLOPs
of one iteration (forward + backward, counted by torch's FlopCounterMode) against a 2048^2 fp32 matmul timed in
the same run tell how close the step is to what this CPU can do. Peak RSS is over the whole run.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import resource
import sys
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_time, matmul_gflops  # noqa: E402
from translate.train import CycleGANConfig, build_cyclegan_step  # noqa: E402

VARIANTS = ("eager", "channels_last", "compiled")


def make_step(size: int, identity: float, variant: str):
    """The reference-size CycleGAN step and one random batch, arranged for ``variant``."""
    torch.manual_seed(0)
    step = build_cyclegan_step(CycleGANConfig(data="unused", lambda_identity=identity), steps_per_epoch=1000, device=torch.device("cpu"))
    memory_format = torch.channels_last if variant == "channels_last" else torch.contiguous_format
    for net in step.nets.values():
        net.to(memory_format=memory_format)
    if variant == "compiled":
        # The generators are about 90% of the work; the G-phase forward goes through step.wrapped.
        step.wrapped = {**step.wrapped, "generator": torch.compile(step.nets["generator"])}
    batch = {key: torch.rand(1, 3, size, size).mul(2).sub(1).contiguous(memory_format=memory_format) for key in ("a", "b")}
    return step, batch


def seconds_per_iteration(size: int, identity: float, variant: str, iters: int) -> float:
    step, batch = make_step(size, identity, variant)
    step_index = itertools.count()
    run = lambda: step.run(batch, next(step_index), contextlib.nullcontext)  # noqa: E731
    return best_time(run, iters, warm_up=2 if variant == "compiled" else 1)  # compiled: compile, then settle


def flops_per_iteration(size: int, identity: float) -> float:
    step, batch = make_step(size, identity, "eager")
    with FlopCounterMode(display=False) as counter:
        step.run(batch, 0, contextlib.nullcontext)
    return counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iters", type=int, default=4)
    parser.add_argument("--identity", type=float, nargs="+", default=[0.0, 0.5], help="identity weights to time (reference: 0.5)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile'd generators")
    args = parser.parse_args()
    variants = VARIANTS if args.compile else VARIANTS[:2]
    peak = matmul_gflops(5)
    print(f"threads {torch.get_num_threads()}, batch 1, ngf 64, 9 blocks; 2048^2 fp32 matmul {peak:.1f} GFLOP/s")
    print("| size | identity | GFLOP / it | " + " | ".join(f"{v} s/it" for v in variants) + " | eager GFLOP/s (% of matmul) |")
    print("|---" * (4 + len(variants)) + "|")
    for size in args.sizes:
        for identity in args.identity:
            flops = flops_per_iteration(size, identity)
            seconds = [seconds_per_iteration(size, identity, variant, args.iters) for variant in variants]
            achieved = flops / seconds[0] / 1e9
            print(f"| {size} | {identity:g} | {flops / 1e9:.0f} | " + " | ".join(f"{s:.2f}" for s in seconds)
                  + f" | {achieved:.0f} ({100 * achieved / peak:.0f}%) |", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
