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

from common.core.errors import UserError

T = TypeVar("T")


class ConfigLimitError(UserError, ValueError):
    """A size in a config (from a file or an option) is outside what the model is built for. A ValueError, so
    code that checks configs catches it; a UserError, so the CLIs print it as one line."""


def check_limits(config: Any) -> None:
    """Refuse a config whose sizes are outside its class's ``LIMITS`` ({field: (low, high)}, inclusive).

    Called from the configs' ``__post_init__``, so a file asking for 300,000 blocks is refused before anything is
    built, even on the meta device.

    Raises:
        ConfigLimitError: the first field that is not an integer within its bounds.
    """
    for name, (low, high) in getattr(type(config), "LIMITS", {}).items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigLimitError(f"{name} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise ConfigLimitError(f"{name} {value:,} is outside the supported {low}..{high:,}")


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
