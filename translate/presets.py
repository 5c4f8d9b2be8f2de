"""Named CycleGAN recipes: ``default`` (what measures best on unpaired tasks with a known answer) and
``reference`` (junyanz/pytorch-CycleGAN-and-pix2pix exactly: the dataclass defaults of :class:`CycleGANConfig`).

A preset only fills settings; any option given explicitly (CLI flag or keyword) overrides it. Torch is imported
only when a config is built, so the command line can list the presets without it.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from typing import TYPE_CHECKING

from common.core.errors import UserError

if TYPE_CHECKING:
    from translate.train import CycleGANConfig

PRESETS = ("default", "reference")
PRESET_HELP = {
    "default": "keeps content from the first step and learns the style fast: the generator starts at the identity "
               "(residual output), its last conv also sees the input through a fast-learning path (colour, tone and "
               "sharpness maps are one layer deep) and it upsamples by resize + conv (no checkerboards); the "
               "discriminators have no normalisation layers (instance norm hides the global contrast and sharpness a "
               "style is made of); the cycle loss compares 2 px low-passes, so a style that removes detail need not "
               "hide it in the image; a light identity loss (0.1) keeps the generators from drifting the contrast "
               "and colours of images that are already in their target style; the exported generators are an EMA "
               "(decay 0.995) of the trained ones",
    "reference": "the paper's recipe bit for bit (plain tanh output, transposed convs), for comparing with published results",
}
# Settings that differ from the reference, as (generator fields, discriminator fields, top-level fields).
_CHANGES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "reference": ({}, {}, {}),
    "default": ({"residual_output": True, "input_skip": True, "input_skip_gain": 10.0, "upsample": "resize_conv"}, {"norm": "none"},
                {"cycle_lowpass": 2.0, "lambda_identity": 0.1}),
}

# EMA decay of the exported generators (a training-loop setting, so outside CycleGANConfig): averaging the last
# few hundred steps' weights smooths the colour drifts that the G/D game swings through.
PRESET_EMA = {"reference": 0.0, "default": 0.995}


def cyclegan_preset(name: str, data: str, generator: dict[str, Any] | None = None, discriminator: dict[str, Any] | None = None,
                    **overrides: Any) -> "CycleGANConfig":
    """The config of preset ``name`` for ``data``, with explicit ``generator`` and ``discriminator`` fields and
    top-level ``overrides``.

    Raises:
        UserError: unknown preset.
    """
    from translate.train import CycleGANConfig

    generator_config, discriminator_config = preset_architectures(name, generator, discriminator)
    changes = _CHANGES[name][2]
    return CycleGANConfig(data=data, generator=generator_config, discriminator=discriminator_config, preset=name, **{**changes, **overrides})


def preset_architectures(name: str, generator: dict[str, Any] | None = None, discriminator: dict[str, Any] | None = None):
    """The generator and discriminator configs of preset ``name`` with explicit fields (for CUT, which shares
    CycleGAN's networks; the cycle-specific settings of a preset do not apply to it)."""
    from common.nn.discriminators import PatchGANConfig
    from translate.models import ResnetGeneratorConfig

    if name not in _CHANGES:
        raise UserError(f"--preset {name}: expected one of {', '.join(PRESETS)}")
    generator_changes, discriminator_changes, _ = _CHANGES[name]
    return (ResnetGeneratorConfig(**{**generator_changes, **(generator or {})}),
            PatchGANConfig(**{**discriminator_changes, **(discriminator or {})}))


def preset_differences(name: str) -> dict[str, Any]:
    """What preset ``name`` changes against the reference, flattened (``generator.upsample`` etc.)."""
    reference = dataclasses.asdict(cyclegan_preset("reference", "."))
    chosen = dataclasses.asdict(cyclegan_preset(name, "."))
    flat = {}
    for key, value in chosen.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items() if reference[key][k] != v})
        elif key != "preset" and reference[key] != value:
            flat[key] = value
    return flat
