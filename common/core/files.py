"""Files that appear whole or not at all: write to a temporary name beside the target, then rename (or hard-link,
to claim a name race-free) into place; on any failure, signals included, the temporary file is removed."""
from __future__ import annotations

import os
import tempfile
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
