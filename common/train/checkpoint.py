"""Full-state training checkpoints: plain dicts of tensors and numbers, saved atomically, loaded weights_only."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import torch

from common.core.errors import UserError
from common.core.files import write_bytes_atomic


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Serialise ``state`` (no Python objects beyond dicts, lists, tensors, numbers, strings) atomically."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint without unpickling arbitrary objects.

    Raises:
        UserError: missing or unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise UserError(f"{path}: cannot load checkpoint ({str(exc).splitlines()[0]})") from None
