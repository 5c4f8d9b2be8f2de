"""Timing several ways of doing one job on this noisy shared CPU: interleaved rounds, medians."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved_median_seconds(runs: list[Callable[[], object]], rounds: int) -> list[float]:
    """Median seconds of each of ``runs`` over ``rounds``, one of each per round, so that a slow minute slows all
    of them alike (warm them up first: nothing here is untimed)."""
    seconds: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            seconds[index].append(time.perf_counter() - start)
    return [float(statistics.median(times)) for times in seconds]
