"""Files that appear whole or not at all: write to a temporary name beside the target, then rename (or hard-link,
to claim a name race-free) into place; on any failure, signals included, the temporary file is removed."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable

from common.core.errors import UserError


def publish_temp_file(tmp_name: str | os.PathLike, path: str | os.PathLike, overwrite: bool = True) -> None:
    """Give a finished temporary file normal permissions (mkstemp makes 0600) and move it onto ``path``.

    With ``overwrite=False`` the move is a hard link, which fails if ``path`` exists at that very moment: two
    processes publishing the same name cannot both succeed (a separate exists-check would race).

    Raises:
        UserError: ``overwrite`` is false and ``path`` exists.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)
    if overwrite:
        os.replace(tmp_name, path)
        return
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise UserError(f"{path}: already exists (pass --overwrite to replace it)") from None
    except OSError:  # a file system without hard links: reserve the name exclusively, then replace it
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666 & ~umask))
        except FileExistsError:
            raise UserError(f"{path}: already exists (pass --overwrite to replace it)") from None
        os.replace(tmp_name, path)
        return
    os.unlink(tmp_name)


def write_bytes_atomic(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None], overwrite: bool = True) -> None:
    """Write ``data`` (bytes, or a function writing into the open file) to a temporary file beside ``path``,
    then move it into place (never onto an existing file unless ``overwrite``); on any failure, signals
    included, the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as tmp:
            if callable(data):
                data(tmp)
            else:
                tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        publish_temp_file(tmp_name, path, overwrite)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


STALE_PARTIAL_SECONDS = 600  # a temporary file untouched this long belongs to a run that was killed, not a live writer


def partial_name_pattern(name: str) -> re.Pattern:
    """The temporary names :func:`write_bytes_atomic` (and ``mkstemp(prefix=".NAME.", suffix=".partial")``) give
    a file called ``name`` while it is being written."""
    return re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.partial")


def remove_stale_partials(folder: str | os.PathLike, names: set[str], older_than: float = STALE_PARTIAL_SECONDS) -> int:
    """Remove the temporary files (or folders) this tool left in ``folder`` while writing one of ``names`` when it
    was killed (SIGKILL, power loss); recent ones may belong to a live writer and stay. Returns how many went."""
    folder = Path(folder)
    if not folder.is_dir() or not names:
        return 0
    patterns = [partial_name_pattern(name) for name in names]
    removed = 0
    now = time.time()
    for entry in folder.iterdir():
        if not entry.name.endswith(".partial") or not any(p.fullmatch(entry.name) for p in patterns):
            continue
        try:
            if now - entry.lstat().st_mtime < older_than:
                continue
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            removed += 1
        except OSError:
            continue  # gone meanwhile, or not ours to remove: leave it
    return removed


def check_writable(folder: str | os.PathLike, what: str) -> None:
    """Create ``folder`` if needed and make sure a file can be written there, before any work is done.

    Raises:
        UserError: naming ``what`` (the final path or option) and the cause.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".gansuite-write-test.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{what}: cannot write to {folder} ({exc.strerror or type(exc).__name__})") from None
