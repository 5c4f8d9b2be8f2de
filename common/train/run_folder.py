"""One trainer per run folder: a lock file naming the process that holds it, and a clean start in a folder that
a run killed before its first checkpoint left behind."""
from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from typing import Iterator

from common.core.console import log
from common.core.errors import UserError

LOCK_NAME = ".gansuite-train.lock"


def _holder_alive(holder: dict) -> bool:
    """Whether the process named in a lock still runs (on this host; a lock from another host counts as alive)."""
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(holder.get("pid", -1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True  # someone else's live process (or an unreadable entry): never take it over
    return True


def _read_holder(lock: Path) -> dict:
    try:
        holder = json.loads(lock.read_text())
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


@contextlib.contextmanager
def locked_run_folder(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir`` for this process while training; a stale lock (its process is gone) is taken over.

    Raises:
        UserError: another live process trains in ``run_dir``.
    """
    lock = Path(run_dir) / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_holder(lock)
            if holder and _holder_alive(holder):
                raise UserError(f"{run_dir}: another training process (pid {holder.get('pid')} on {holder.get('host')}) is using "
                                f"this run folder; wait for it, or remove {lock} if that process is gone") from None
            log(f"[yellow]warning:[/] {lock}: taking over a lock left by a process that is gone (pid {holder.get('pid')})")
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(handle, "w") as file:
            json.dump(me, file)
        break
    else:
        raise UserError(f"{run_dir}: could not take the run folder's lock {lock}")
    try:
        yield
    finally:
        if _read_holder(lock) == me:
            lock.unlink(missing_ok=True)


def clear_run_without_checkpoint(run_dir: Path, metrics_path: Path) -> None:
    """A run killed before its first checkpoint left a log and samples but nothing to resume: start it afresh
    instead of appending the new run's lines to the dead one's (only this tool's own files are touched)."""
    samples = sorted((run_dir / "samples").glob("step_*.png")) if (run_dir / "samples").is_dir() else []
    if not metrics_path.exists() and not samples:
        return
    log(f"{run_dir}: holds a run stopped before its first checkpoint; nothing to resume, so it starts afresh")
    metrics_path.unlink(missing_ok=True)
    for sample in samples:
        sample.unlink(missing_ok=True)
