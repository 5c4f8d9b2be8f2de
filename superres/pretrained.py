"""Finding and loading SR generators: the embedded default, a run directory, or a .safetensors file."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.weights import load_model
from superres.models import MODEL_KIND, SRResNet, SRResNetConfig

DEFAULT_MODEL_FILE = "default_x4.safetensors"


def default_model_path() -> Path:
    return Path(str(resources.files("superres.weights").joinpath(DEFAULT_MODEL_FILE)))


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


def load_sr_model(spec: str | os.PathLike) -> tuple[SRResNet, dict[str, Any]]:
    """Build an SRResNet from saved weights; returns (model in eval mode on CPU, metadata).

    Raises:
        UserError: missing file, not a gansuite SR model, or weights that do not fit the config.
    """
    return load_model(resolve_model_path(spec), MODEL_KIND, SRResNetConfig, SRResNet)
