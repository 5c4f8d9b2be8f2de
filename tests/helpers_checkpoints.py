"""Helpers for the importer tests: the parity fixtures in ../shared/data/checkpoints and keys_full.txt."""
from __future__ import annotations

import re
from pathlib import Path

import torch

from tests.conftest import shared_folder


def fixtures() -> Path:
    """The parity fixtures folder (the test is skipped with a reason when shared/ is absent)."""
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


def to_reference_names(model, dropout: bool = False) -> dict:
    """Our state dict under the reference's names (the inverse of the importer's map)."""
    second_conv, second_norm = (6, 7) if dropout else (5, 6)
    positions = {"0": 1, "1": 2, "3": second_conv, "4": second_norm}
    renamed = {}
    for key, value in model.state_dict().items():
        parts = key.split(".")
        if len(parts) == 5 and parts[2] == "body":
            key = f"model.{parts[1]}.conv_block.{positions[parts[3]]}.{parts[4]}"
        renamed[key] = value
    return renamed
