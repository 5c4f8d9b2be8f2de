"""Finding and loading SR generators: the embedded default, a run directory, a .safetensors file, or a
checkpoint released by Real-ESRGAN / BasicSR / ESRGAN (imported on the fly)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.foreign_checkpoint import is_foreign_checkpoint
from common.weights import load_model
from superres.architectures import ARCHITECTURES, SRModel
from superres.importers import import_sr_checkpoint

from superres.weights import default_int8_path, default_model_path  # noqa: F401  (re-exported)


def resolve_model_path(spec: str | os.PathLike) -> Path:
    """``default`` -> the embedded model; a run directory -> its model.safetensors; else the file itself."""
    if str(spec) == "default":
        path = default_model_path()
        if not path.is_file():
            raise UserError(f"{path}: the embedded default model is missing from this installation")
        return path
    path = Path(spec)
    if path.is_dir():
        candidate = path / "model.safetensors"
        if not candidate.is_file():
            raise UserError(f"{path}: run directory holds no model.safetensors (has training reached its first checkpoint?)")
        return candidate
    return path


def load_sr_model(spec: str | os.PathLike, arch: str = "auto") -> tuple[SRModel, dict[str, Any]]:
    """Build an SR generator from saved weights; returns (model in eval mode on CPU, metadata).

    Args:
        spec: ``default``, a run directory, a gansuite ``.safetensors`` file, or a released ``.pth``.
        arch: for a ``.pth`` only: the architecture when its keys are ambiguous (see ``superres.importers``).

    Raises:
        UserError: missing file, not an SR model, or weights that do not fit the config.
    """
    path = resolve_model_path(spec)
    if is_foreign_checkpoint(path):
        return import_sr_checkpoint(path, arch)
    return load_model(path, ARCHITECTURES)
