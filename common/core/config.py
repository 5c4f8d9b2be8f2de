"""Frozen dataclass configs to and from plain JSON-able dicts.

Configs are saved beside weights (``model.json``) and inside checkpoints as plain dicts, so loading never
needs to unpickle a Python object (torch ``weights_only=True`` and safetensors both accept them).
"""
from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain dict of a (possibly nested) dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild ``cls`` from a dict, ignoring unknown keys and converting lists back to tuples.

    Raises:
        ValueError: a required field is missing or a nested value has the wrong shape.
    """
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        value = data[field.name]
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = config_from_dict(hint, value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[field.name] = value
    return cls(**kwargs)


def save_config_json(config: Any, path: Path, extra: dict[str, Any] | None = None) -> None:
    data = {"config": config_to_dict(config), **(extra or {})}
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
