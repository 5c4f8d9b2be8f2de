"""One rich Console shared by progress bars and log lines, so bars and messages never tear each other."""
from __future__ import annotations

import os
import re

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

console = Console(stderr=True, highlight=False, soft_wrap=True)  # never wrap a line: log files stay greppable


def is_main_process() -> bool:
    """True on rank 0 (or outside torchrun); only the main process draws bars and writes logs."""
    return int(os.environ.get("RANK", "0")) == 0


def make_progress(transient: bool = False) -> Progress:
    """A progress bar drawn on the shared console; disabled on ranks other than 0."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=transient,
        disable=not is_main_process(),
    )


__all__ = ["console", "error_line", "escape", "is_main_process", "log", "make_progress"]


def log(message: str) -> None:
    """Print a line on the main process; ``message`` may hold rich markup, so paths in it go through ``escape``."""
    if is_main_process():
        console.print(message)


TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def error_line(message: str) -> None:
    """Print one clear error line (no traceback); ``message`` is plain text (brackets in paths stay as they are).
    Terminal codes inside it (some libraries colour their messages) are removed, and so are line breaks."""
    plain = " ".join(TERMINAL_CODES.sub("", message).split("\n"))
    console.print(f"[bold red]error:[/] {escape(plain)}", markup=True, highlight=False, soft_wrap=True)
