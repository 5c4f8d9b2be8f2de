"""Released SR models by name (``--model realesr-general-x4v3``): the pinned list in ``named_models.json`` and the
verified download cache.

A named model is fetched once from its official URL (or ``$GANSUITE_MODEL_MIRROR/<filename>``) into
``$GANSUITE_CACHE_DIR`` (default: the platform's user cache, ``~/.cache/gansuite/models`` on Linux), resuming an
interrupted download, and is published there only when its size and sha256 match the pin. ``--offline`` or
``GANSUITE_OFFLINE=1`` refuses the network: a model not yet cached is then an error naming the file to place.
Torch-free, so ``superres models`` starts fast.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from common.core.errors import UserError


@dataclass(frozen=True)
class NamedModel:
    name: str
    filename: str
    url: str
    sha256: str
    size: int
    arch: str
    scale: int
    licence: str
    description: str


@cache
def named_models() -> dict[str, NamedModel]:
    data = json.loads(resources.files("superres").joinpath("named_models.json").read_text())
    return {entry["name"]: NamedModel(**entry) for entry in data["models"]}


def is_named_model(name: str) -> bool:
    return name in named_models()


def cache_dir() -> Path:
    configured = os.environ.get("GANSUITE_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("gansuite")) / "models"


def offline() -> bool:
    return os.environ.get("GANSUITE_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def source_url(model: NamedModel) -> str:
    mirror = os.environ.get("GANSUITE_MODEL_MIRROR")
    return f"{mirror.rstrip('/')}/{model.filename}" if mirror else model.url


def cached_path(model: NamedModel) -> Path:
    return cache_dir() / model.filename


def is_cached(model: NamedModel) -> bool:
    path = cached_path(model)
    return path.is_file() and path.stat().st_size == model.size


def fetch_named_model(name: str) -> Path:
    """The verified local file of named model ``name``, downloaded first if needed.

    Raises:
        UserError: an unknown name, offline with the file absent, or a failed or wrong download.
    """
    from common.weights.download import download_verified

    model = named_models().get(name)
    if model is None:
        raise UserError(f"--model {name}: not a known model name; `superres models` lists them")
    if is_cached(model):
        return cached_path(model)
    if offline():
        raise UserError(f"--model {name}: not in the cache and downloads are off (--offline / GANSUITE_OFFLINE); "
                        f"place {model.filename} ({model.size:,} bytes, sha256 {model.sha256[:12]}...) at {cached_path(model)}")
    from common.core.console import log

    log(f"{name}: downloading {model.size / 1e6:.1f} MB from {source_url(model)} (once; cached in {cache_dir()})")
    return download_verified(source_url(model), cached_path(model), model.sha256, model.size)
