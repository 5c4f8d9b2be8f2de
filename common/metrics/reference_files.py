"""Where a metric's reference file comes from: the path the user gave, else the copy inside an installed package."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from common.core.errors import UserError


def given_or_packaged(path: str | os.PathLike | None, option: str, what: str, package: str, inside: str, hint: str) -> Path:
    """``path`` (which must exist), else ``<package dir>/<inside>`` of an installed ``package`` (found without
    importing it), else a :class:`UserError` ending with ``hint``."""
    if path:
        if not Path(path).is_file():
            raise UserError(f"{path}: {what} file not found ({option})")
        return Path(path)
    spec = importlib.util.find_spec(package)
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / inside
        if candidate.is_file():
            return candidate
    raise UserError(hint)
