"""Released weights: ``model.safetensors`` (tensors + string metadata) beside ``model.json`` (the config).

The safetensors metadata also carries the config, so a lone ``.safetensors`` file rebuilds its model. Nothing
is unpickled on load.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from common.core.errors import UserError
from common.core.files import publish_temp_file, write_bytes_atomic

FORMAT_TAG = "gansuite"


def save_weights(module: torch.nn.Module, path: str | os.PathLike, kind: str, config: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Write ``path`` (.safetensors) and the same stem + .json, both atomically.

    Args:
        module: the model; its state dict is saved (contiguous CPU copies).
        kind: model kind, checked on load (e.g. ``srresnet``, ``resnet_generator``).
        config: the model config as a plain dict.
        extra: more JSON-able metadata (task, scale, training summary).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in module.state_dict().items()}
    meta = {"format": FORMAT_TAG, "kind": kind, "config": config, **(extra or {})}
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    try:
        save_file(state, tmp_name, metadata={"gansuite": json.dumps(meta)})
        publish_temp_file(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    write_bytes_atomic(path.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())


def save_imported_model(module: torch.nn.Module, meta: dict[str, Any], output: str | os.PathLike, overwrite: bool = False) -> Path:
    """Save a model imported from another project's checkpoint as ``NAME.safetensors`` + ``NAME.json``.

    Args:
        meta: the importer's metadata (``kind``, ``config`` and provenance such as ``source_format``).
        output: ``NAME`` or ``NAME.safetensors``.

    Returns:
        The .safetensors path written.

    Raises:
        UserError: the output exists and ``overwrite`` is false.
    """
    path = Path(output)
    if path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    if not overwrite:
        for existing in (path, path.with_suffix(".json")):
            if existing.exists():
                raise UserError(f"{existing}: already exists (pass --overwrite to replace it)")
    extra = {key: value for key, value in meta.items() if key not in ("kind", "config")}
    save_weights(module, path, meta["kind"], meta["config"], extra)
    return path


def load_weights(path: str | os.PathLike, expected_kind: str | tuple[str, ...]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a gansuite safetensors file: (state dict, metadata dict with ``kind`` and ``config``).

    Raises:
        UserError: missing file, not safetensors, not a gansuite model, or a model of another kind.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable safetensors model ({exc})") from None
    if "gansuite" not in header:
        raise UserError(f"{path}: not a gansuite model (no gansuite metadata in the safetensors header)")
    try:
        meta = json.loads(header["gansuite"])
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: malformed gansuite metadata in the safetensors header ({exc.msg} at character {exc.pos})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise UserError(f"{path}: malformed gansuite metadata in the safetensors header (no config object)")
    kinds = (expected_kind,) if isinstance(expected_kind, str) else expected_kind
    if meta.get("kind") not in kinds:
        raise UserError(f"{path}: this is a {meta.get('kind')!r} model, expected {' or '.join(kinds)}")
    check_finite_weights(state, str(path))
    return state, meta


def check_finite_weights(state: dict[str, torch.Tensor], origin: str) -> None:
    """Refuse weights holding NaN or infinity: they give a flat black image that looks like a result.

    Raises:
        UserError: naming ``origin`` and the first such tensor.
    """
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise UserError(f"{origin}: tensor {name} holds {bad:,} NaN or infinite value(s); the file is damaged or was saved from a diverged run")


def load_model(path: str | os.PathLike, architectures: dict[str, tuple[type, type]]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a model from a gansuite safetensors file, in eval mode, frozen, on the CPU; returns (model, metadata).

    Args:
        architectures: saved ``kind`` -> (config class, model class) of the kinds accepted here.

    Raises:
        UserError: missing/unreadable file, another kind of model, or weights that do not fit the config.
    """
    state, meta = load_weights(path, tuple(architectures))
    return model_from_state(state, meta, architectures, str(path)), meta


def model_from_state(state: dict[str, torch.Tensor], meta: dict[str, Any], architectures: dict[str, tuple[type, type]], origin: str) -> torch.nn.Module:
    """Build ``meta``'s architecture and load ``state`` (checked first); frozen, in eval mode, on the CPU.

    Raises:
        UserError: naming ``origin``, when the weights do not fit the config.
    """
    from common.core.config import ConfigLimitError, config_from_dict

    config_class, model_class = architectures[meta["kind"]]
    try:
        config = config_from_dict(config_class, meta["config"])
    except ConfigLimitError as exc:
        raise UserError(f"{origin}: the config in the file is not buildable ({exc})") from None
    except (TypeError, ValueError) as exc:
        raise UserError(f"{origin}: malformed config in the file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    try:
        check_shapes_before_building(model_class, config, state)
        model = model_class(config)
        model.load_state_dict(state)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"{origin}: weights do not match their config ({str(exc).splitlines()[0]})") from None
    return model.eval().requires_grad_(False)


def check_shapes_before_building(model_class: type, config: Any, state: dict[str, torch.Tensor]) -> None:
    """Build ``model_class(config)`` on the meta device (no memory) and compare its tensor names and shapes with
    ``state``, so a config that claims 10,000 blocks is refused before anything is allocated for it.

    Raises:
        ValueError: the first difference.
    """
    with torch.device("meta"):
        wanted = model_class(config).state_dict()
    described, held = sum(t.numel() for t in wanted.values()), sum(t.numel() for t in state.values())
    if described > held:
        raise ValueError(f"the config describes {described:,} values, the file holds {held:,}")
    for name, tensor in wanted.items():
        if name not in state:
            raise ValueError(f"missing tensor {name}")
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise ValueError(f"{name} is {tuple(state[name].shape)} in the file, {tuple(tensor.shape)} in the config")
    unexpected = sorted(set(state) - set(wanted))
    if unexpected:
        raise ValueError(f"unexpected tensor {unexpected[0]}")

