"""Reading the ``.pth`` files other projects release (BasicSR, Real-ESRGAN, junyanz's CycleGAN), safely.

Only ``torch.load(weights_only=True)`` is used: tensors, dicts, lists and numbers are rebuilt, and a file that
needs any other Python object is refused instead of executed. The containers these projects write are
unwrapped the way their own loaders do it.
"""
from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import torch

from common.core.errors import UserError
from common.weights.model_files import check_finite_weights
from common.weights.sniff import PICKLE_PROTOCOL, ZIP_MAGIC, model_file_format

FOREIGN_SUFFIXES = (".pth", ".pt", ".ckpt")
# Real-ESRGAN's RealESRGANer prefers the EMA weights, then the plain ones; Lightning-style files use state_dict.
CONTAINER_KEYS = ("params_ema", "params", "state_dict", "model_state_dict", "generator", "model")  # model: Swift-SRGAN
ACCEPTED = "a gansuite .safetensors model, or a .pth/.pt/.ckpt state dict as BasicSR, Real-ESRGAN or junyanz's CycleGAN save it"


def _safetensors_state(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"{path}: a damaged safetensors file ({exc})") from None
    check_finite_weights(state, str(path))
    return state


def is_foreign_checkpoint(path: str | os.PathLike) -> bool:
    """A torch checkpoint by its content (``swift_srgan_4x.pth.tar`` is one; a ``.pth`` holding safetensors is
    not); a file that is neither, or absent, is judged by its suffix, so the error comes from the reader its name
    asks for."""
    found = model_file_format(path) if Path(path).is_file() else None
    return found in ("torch", "safetensors") if found else Path(path).suffix.lower() in FOREIGN_SUFFIXES


def read_foreign_state_dict(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], str]:
    """The state dict inside a released checkpoint, on the CPU.

    Accepts a bare state dict (with or without ``_metadata``, zip or legacy serialisation) or a dict holding
    one under ``params_ema`` (preferred, as Real-ESRGAN does), ``params`` (BasicSR), ``state_dict``...; a
    ``module.`` prefix from DataParallel/DDP is removed.

    Returns:
        (state dict with string keys and tensor values, where it was found: ``"params_ema"``, ``"bare state dict"``...)

    Raises:
        UserError: missing file, not a torch checkpoint, a pickle that needs arbitrary objects, or no state
            dict inside.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found")
    if model_file_format(path) == "safetensors":
        return _safetensors_state(path), "safetensors state dict"
    _check_container(path)
    try:
        with open(path, "rb") as handle:  # a handle, not the name: torch would route a *.safetensors name elsewhere
            loaded = torch.load(handle, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        unsafe, reason = _unpickler_reason(str(exc))
        if unsafe:
            raise UserError(f"{path}: refused to load: the file needs Python objects beyond tensors ({reason})") from None
        raise UserError(f"{path}: a damaged PyTorch checkpoint ({reason}); expected {ACCEPTED}") from None
    except Exception as exc:  # torch's loaders raise many types for files that are not checkpoints (KeyError for text)
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: a damaged PyTorch checkpoint ({reason}); expected {ACCEPTED}") from None
    state, where = _unwrap(loaded, path)
    if state and all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    check_finite_weights(state, str(path))
    return state, where


def _unpickler_reason(message: str) -> tuple[bool, str]:
    """(needs objects beyond tensors, the reason in a few plain words) from torch's weights-only error, whose
    first lines are advice (with terminal colour codes) and whose cause follows ``WeightsUnpickler error:``."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)
    match = re.search(r"WeightsUnpickler error:\s*(.+)", plain)
    reason = (match.group(1) if match else plain.strip().splitlines()[0] if plain.strip() else "unreadable pickle").strip()
    unsafe = reason.startswith("Unsupported global")
    reason = reason.split(" was not an allowed global")[0]
    return unsafe, reason[:160]


def _check_container(path: Path) -> None:
    """Refuse, by its first bytes, a file that is neither of torch.save's two formats (zip, or a legacy pickle),
    so random bytes or a text file get a reason instead of the unpickler's internal error."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head:
        raise UserError(f"{path}: empty file (0 bytes); expected {ACCEPTED}")
    if head != ZIP_MAGIC and head[0] != PICKLE_PROTOCOL:
        raise UserError(f"{path}: not a PyTorch checkpoint (neither a zip archive nor a pickle); expected {ACCEPTED}")


def _unwrap(loaded: object, path: Path) -> tuple[dict[str, torch.Tensor], str]:
    if not isinstance(loaded, dict):
        raise UserError(f"{path}: expected a state dict, found a {type(loaded).__name__}")
    for key in CONTAINER_KEYS:
        if isinstance(loaded.get(key), dict):
            return _tensors_only(loaded[key], path, key), key
    return _tensors_only(loaded, path, "the file"), "bare state dict"


def _tensors_only(state: dict, path: Path, where: str) -> dict[str, torch.Tensor]:
    tensors = {key: value for key, value in state.items() if isinstance(key, str) and isinstance(value, torch.Tensor)}
    if not tensors:
        keys = ", ".join(map(str, list(state)[:6]))
        raise UserError(f"{path}: no weights found (top-level keys: {keys or 'none'}; expected params_ema, params or a state dict)")
    if len(tensors) != len(state):
        others = [str(key) for key, value in state.items() if not isinstance(value, torch.Tensor)][:4]
        raise UserError(f"{path}: {where} mixes weights with other entries ({', '.join(others)}); not a state dict")
    return dict(tensors)
