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
    if path.stat().st_size == 0:
        raise UserError(f"{path}: empty file (0 bytes), not a training checkpoint of this tool; {FRESH_START_HINT}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: cannot load checkpoint ({reason}); {FRESH_START_HINT}") from None


# What save_checkpoint is given by the training loop, and the type of each entry.
TRAINING_STATE = {"step": int, "nets": dict, "optimizers": dict, "schedulers": dict, "rng": dict, "task_config": dict}
FRESH_START_HINT = "remove it (or choose another --out) to start afresh"


def check_training_state(state: object, path: str | os.PathLike, nets: list[str], optimizers: list[str]) -> dict[str, Any]:
    """``state`` itself, if it is a full training state holding the networks and optimizers named.

    Raises:
        UserError: naming ``path``: not a dict, entries missing or of the wrong type, or other networks.
    """
    if not isinstance(state, dict):
        raise UserError(f"{path}: not a training checkpoint of this tool (it holds a {type(state).__name__}, not the run's state)")
    missing = [key for key, kind in TRAINING_STATE.items() if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool)]
    if missing:
        raise UserError(f"{path}: not a training checkpoint of this tool (missing or malformed: {', '.join(missing)}); {FRESH_START_HINT}")
    for what, names in (("nets", nets), ("optimizers", optimizers)):
        absent = [name for name in names if not isinstance(state[what].get(name), dict)]
        if absent:
            raise UserError(f"{path}: a checkpoint of other {what} (no {', '.join(absent)}); not of this run")
    return state
