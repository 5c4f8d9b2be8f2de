"""Training progress that stays readable everywhere: a rich bar on a wide terminal, plain lines in a log file.

On a terminal at least :data:`MIN_BAR_WIDTH` columns wide the bar shows the step count, speed and ETA before the
losses, so those never get cut. Anywhere else (output redirected to a file, a narrow terminal, a CI log) one line
per log interval carries the same facts: ``step 150/2000 (7.5%)  1.23 it/s  ETA 0:25:03  g_a2b=0.47 ...``.
"""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column

from common.core.console import console, escape, is_main_process

MIN_BAR_WIDTH = 100


def format_duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    return str(timedelta(seconds=round(seconds)))


def progress_line(step: int, total: int, it_per_s: float, values: dict[str, float]) -> str:
    """``step 150/2000 (7.5%)  1.23 it/s  ETA 0:25:03  name=value ...``"""
    eta = (total - step) / it_per_s if it_per_s > 0 else float("nan")
    losses = "  ".join(f"{name}={value:.4g}" for name, value in values.items())
    return f"step {step}/{total} ({100 * step / max(total, 1):.1f}%)  {it_per_s:.3g} it/s  ETA {format_duration(eta)}  {losses}".rstrip()


class TrainingProgress:
    """Context manager reporting a training run from ``start`` to ``total`` steps (main process only)."""

    def __init__(self, total: int, start: int = 0, plain: bool | None = None):
        self.total, self.start = total, start
        self.enabled = is_main_process()
        self.plain = (not console.is_terminal or console.width < MIN_BAR_WIDTH) if plain is None else plain
        self.started = time.perf_counter()
        self._bar: Progress | None = None

    def __enter__(self) -> "TrainingProgress":
        if self.enabled and not self.plain:
            self._bar = Progress(
                TextColumn("[bold]train"), BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("{task.fields[speed]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.fields[info]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
                console=console,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("train", total=self.total, completed=self.start, info="", speed="")
        elif self.enabled:
            console.print(f"training: steps {self.start}..{self.total}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def advance(self, step: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=step)

    def report(self, step: int, values: dict[str, float]) -> None:
        """Called at each log interval with the averaged losses."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        it_per_s = (step - self.start) / elapsed if elapsed > 0 else 0.0
        if self._bar is not None:
            info = escape("  ".join(f"{k}={v:.4g}" for k, v in values.items()))
            self._bar.update(self._task, completed=step, info=info, speed=f"{it_per_s:.3g} it/s")
        else:
            console.print(escape(progress_line(step, self.total, it_per_s, values)), soft_wrap=True)
