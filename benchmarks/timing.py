"""Timing helpers shared by the benchmarks: best-of-N wall time and the machine's fp32 matmul rate.

The best of several runs is the least disturbed by other work on a shared machine; the matmul rate measured in
the same run is the practical compute ceiling that the other figures are read against.
"""
from __future__ import annotations

import time
from typing import Callable

import torch


def best_time(function: Callable[[], object], repeats: int, warm_up: int = 1) -> float:
    """Shortest wall time in seconds of ``repeats`` calls, after ``warm_up`` untimed calls."""
    for _ in range(warm_up):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(repeats: int, size: int = 2048) -> float:
    """fp32 GFLOP/s of a ``size``^2 matmul with the current thread count."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / best_time(lambda: a @ b, repeats) / 1e9
