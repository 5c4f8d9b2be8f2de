"""Helpers for the importer tests: the parity fixtures in ../shared/data/checkpoints and keys_full.txt."""
from __future__ import annotations

import re
from pathlib import Path

import torch

from tests.conftest import shared_folder


def fixtures() -> Path:
    return shared_folder("checkpoints")


def keys_full_sections() -> dict[str, dict]:
    """keys_full.txt as {name: {"constructor": str, "layout": str, "shapes": {key: shape}}}."""
    sections: dict[str, dict] = {}
    current = None
    for line in (fixtures() / "keys_full.txt").read_text().splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), {"constructor": "", "layout": "", "shapes": {}})
        elif current is not None and line.startswith("# constructor:"):
            current["constructor"] = line.split(":", 1)[1].strip()
        elif current is not None and line.startswith("# file layout:"):
            current["layout"] = line.split(":", 1)[1].strip()
        elif current is not None and line and not line.startswith("#"):
            key, shape, _dtype = line.split("\t")
            current["shapes"][key] = [int(v) for v in re.findall(r"\d+", shape)]
    return sections


def constructor_argument(constructor: str, name: str) -> str:
    match = re.search(rf"{name}=([\w']+)", constructor)
    assert match, f"{name} not in {constructor}"
    return match.group(1).strip("'")


def write_released_layout(section: dict, path: Path) -> None:
    """Save zero tensors of the section's shapes the way the reference project saves them."""
    state = {key: torch.zeros(shape) for key, shape in section["shapes"].items()}
    layout = section["layout"]
    if '"params_ema"' in layout:
        torch.save({"params_ema": state}, path)
    elif '"params"' in layout:
        torch.save({"params": state}, path)
    else:
        torch.save(state, path, _use_new_zipfile_serialization="legacy" not in layout)
