"""Finding and loading SR generators: the embedded default, a run directory, a .safetensors file, or a
checkpoint released by Real-ESRGAN / BasicSR / ESRGAN (imported on the fly)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from common.core.errors import UserError
from common.weights.foreign import is_foreign_checkpoint
from common.weights.model_files import load_model
from superres.architectures import ARCHITECTURES, SRModel
from superres.importers import import_sr_checkpoint
from superres.named_models import fetch_named_model, is_named_model

from superres.denoise import load_blended_model
from superres.weights import BLENDED_MODELS, DEFAULT_DENOISE, clean_model_path, real_world_model_paths


def resolve_model_path(spec: str | os.PathLike) -> Path:
    """``clean`` -> the embedded clean model; a released model's name (``superres models``) -> its verified
    cached file, downloaded first if needed; a run directory -> its model.safetensors; else the file itself
    (``default`` is two files, see :func:`load_sr_model`)."""
    if str(spec) == "clean":
        path = clean_model_path()
        if not path.is_file():
            raise UserError(f"{path}: the embedded clean model is missing from this installation")
        return path
    path = Path(spec)
    if not path.exists() and is_named_model(str(spec)):  # a local file of that name wins over the download
        return fetch_named_model(str(spec))
    if path.is_dir():
        candidate = path / "model.safetensors"
        if not candidate.is_file():
            raise UserError(f"{path}: run directory holds no model.safetensors (has training reached its first checkpoint?)")
        return candidate
    return path


def load_sr_model(spec: str | os.PathLike, arch: str = "auto", denoise: float | None = None) -> tuple[SRModel, dict[str, Any]]:
    """Build an SR generator from saved weights; returns (model in eval mode on CPU, metadata).

    Args:
        spec: ``default`` (the embedded real-world model), ``gan`` (its GAN-trained twin), ``clean`` (the embedded bicubic-trained model), a
            released model's name (``realesr-general-x4v3``; see
            ``superres models``), a run directory, a gansuite ``.safetensors`` file, or a released ``.pth``.
        arch: for a ``.pth`` only: the architecture when its keys are ambiguous (see ``superres.importers``).
        denoise: for ``default`` and ``gan`` only: 0 keeps the most detail, 1 removes the most noise (default 0.25).

    Raises:
        UserError: missing file, not an SR model, weights that do not fit the config, or ``denoise`` given for
            another model.
    """
    if str(spec) in BLENDED_MODELS:
        return load_blended_model(*real_world_model_paths(str(spec)), DEFAULT_DENOISE if denoise is None else denoise)
    if denoise is not None:
        raise UserError(f"--denoise applies to the embedded {' and '.join(BLENDED_MODELS)} model{'s' * (len(BLENDED_MODELS) > 1)}, not to {spec}")
    path = resolve_model_path(spec)
    if is_foreign_checkpoint(path):
        return import_sr_checkpoint(path, arch)
    return load_model(path, ARCHITECTURES)
