"""The denoise control of the real-world model: deep network interpolation (Wang et al. 2019).

Two networks of one architecture were fine-tuned from the same parent, one on light noise (keeps fine texture)
and one on strong noise (removes it). Because they share the parent, blending their weights gives a model whose
behaviour moves smoothly between the two, as Real-ESRGAN's ``-dn`` does for realesr-general-x4v3.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from common.core.errors import UserError
from common.weights.model_files import load_weights, model_from_state
from superres.architectures import ARCHITECTURES, SRModel


def interpolate_weights(detail: dict[str, torch.Tensor], denoise: dict[str, torch.Tensor], strength: float) -> dict[str, torch.Tensor]:
    """``(1 - strength) * detail + strength * denoise`` for every tensor, in float32.

    Args:
        detail / denoise: state dicts with the same keys and shapes.
        strength: 0 (all detail weights) to 1 (all denoise weights).
    """
    if set(detail) != set(denoise) or any(detail[k].shape != denoise[k].shape for k in detail):
        raise ValueError("the two weight sets must have the same keys and shapes")
    return {k: torch.lerp(detail[k].float(), denoise[k].float(), strength) for k in detail}


def check_strength(strength: float) -> float:
    if not 0.0 <= strength <= 1.0:
        raise UserError(f"--denoise {strength:g}: expected a strength from 0 (keep detail) to 1 (remove the most noise)")
    return strength


def load_blended_model(detail_path: Path, denoise_path: Path, strength: float) -> tuple[SRModel, dict[str, Any]]:
    """Build the model blended at ``strength`` from two gansuite weight files; (model in eval mode, metadata).

    Raises:
        UserError: a file is missing or the two are not the same architecture.
    """
    check_strength(strength)
    for path in (detail_path, denoise_path):
        if not path.is_file():
            raise UserError(f"{path}: the embedded real-world model is missing from this installation")
    detail, meta = load_weights(detail_path, tuple(ARCHITECTURES))
    denoise, meta_denoise = load_weights(denoise_path, tuple(ARCHITECTURES))
    if meta["config"] != meta_denoise["config"] or meta["kind"] != meta_denoise["kind"]:
        raise UserError(f"{detail_path} and {denoise_path}: not the same architecture, cannot be blended")
    model = model_from_state(interpolate_weights(detail, denoise, strength), meta, ARCHITECTURES, str(detail_path))
    return model, {**meta, "denoise": strength}
