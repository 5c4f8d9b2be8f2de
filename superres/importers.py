"""Import the SR checkpoints people already have: Real-ESRGAN / ESRGAN RRDBNet, SRVGGNetCompact, BasicSR MSRResNet,
Swift-SRGAN and the popular PyTorch SRGAN release.

The architecture and its sizes are read from the key names and tensor shapes; the weights are checked against
the inferred model with a strict load, so a file that does not fit is refused with one line, never half used.

    >>> model, meta = import_sr_checkpoint("RealESRGAN_x4plus.pth")
    >>> meta["config"]["num_blocks"], meta["source_format"]
    (23, 'rrdbnet (params_ema)')
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Callable

import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.weights.foreign import read_foreign_state_dict
from superres.architectures import SRModel, build_sr_model, model_kind
from superres.compact import CompactConfig
from superres.models import msrresnet_config
from superres.names import IMPORT_ARCHITECTURES
from superres.rrdbnet import RRDBNetConfig
from superres.srgan import SRGANConfig
from superres.swift_srgan import SwiftSRGANConfig

State = dict[str, torch.Tensor]
ARCH_CHOICES = IMPORT_ARCHITECTURES


def _indices(state: State, pattern: str) -> list[int]:
    """Sorted distinct integers captured by ``pattern`` (one group) over the keys."""
    regex = re.compile(pattern)
    return sorted({int(m.group(1)) for key in state if (m := regex.fullmatch(key))})


def _root_of(channels_in: int, channels_out: int, what: str) -> int:
    ratio = channels_in / channels_out
    root = round(math.sqrt(ratio))
    if root < 1 or root * root * channels_out != channels_in:
        raise ValueError(f"{what}: {channels_in} channels is not {channels_out} x a square")
    return root


def _rrdbnet(state: State) -> tuple[RRDBNetConfig, State]:
    first, last = state["conv_first.weight"], state["conv_last.weight"]
    out_channels = last.shape[0]
    unshuffle = _root_of(first.shape[1], out_channels, "conv_first input")
    if unshuffle not in (1, 2, 4):
        raise ValueError(f"conv_first takes {first.shape[1]} channels: not a x4, x2 or x1 RRDBNet")
    config = RRDBNetConfig(scale=4 // unshuffle, in_channels=out_channels, out_channels=out_channels, num_features=first.shape[0],
                           num_blocks=len(_indices(state, r"body\.(\d+)\.rdb1\.conv1\.weight")),
                           growth=state["body.0.rdb1.conv1.weight"].shape[0])
    return config, state


# The original ESRGAN repository (xinntao/ESRGAN, RRDB_ESRGAN_x4.pth and the community models made with it)
# names the same network by its Sequential indices.
_ESRGAN_OLD_NAMES = (
    (r"model\.0\.", "conv_first."),
    (r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.", r"body.\1.rdb\2.conv\3."),
    (r"model\.1\.sub\.\d+\.", "conv_body."),
    (r"model\.3\.", "conv_up1."),
    (r"model\.6\.", "conv_up2."),
    (r"model\.8\.", "conv_hr."),
    (r"model\.10\.", "conv_last."),
)


def _renamed(state: State, names: tuple[tuple[str, str], ...], layout: str) -> State:
    """``state`` with each key's prefix rewritten by the first matching (regex, replacement) of ``names``.

    Raises:
        ValueError: a key no entry matches.
    """
    renamed = {}
    for key, value in state.items():
        for pattern, replacement in names:
            new, count = re.subn("^" + pattern, replacement, key)
            if count:
                renamed[new] = value
                break
        else:
            raise ValueError(f"unexpected key {key!r} for {layout}")
    return renamed


def _esrgan_old(state: State) -> tuple[RRDBNetConfig, State]:
    return _rrdbnet(_renamed(state, _ESRGAN_OLD_NAMES, "the original ESRGAN layout"))


def _compact(activation: str | None) -> Callable[[State], tuple[CompactConfig, State]]:
    def infer(state: State) -> tuple[CompactConfig, State]:
        convs = [i for i in _indices(state, r"body\.(\d+)\.weight") if state[f"body.{i}.weight"].ndim == 4]
        first, last = state[f"body.{convs[0]}.weight"], state[f"body.{convs[-1]}.weight"]
        act = activation
        if act is None:
            if "body.1.weight" not in state:
                raise ValueError("no PReLU weights, so the activation (relu or leakyrelu) cannot be read from the file: "
                                 "pass --arch compact_relu or --arch compact_leakyrelu")
            act = "prelu"
        scale = _root_of(last.shape[0], first.shape[1], "last conv output")
        config = CompactConfig(scale=scale, in_channels=first.shape[1], out_channels=first.shape[1], num_features=first.shape[0],
                               num_convs=len(convs) - 2, activation=act)
        return config, state
    return infer


# BasicSR MSRResNet names -> gansuite SRResNet (msrresnet_config) names.
_MSRRESNET_NAMES = (
    (r"conv_first\.", "head.0."),
    (r"body\.(\d+)\.conv1\.", r"body.\1.body.0."),
    (r"body\.(\d+)\.conv2\.", r"body.\1.body.3."),
    (r"upconv1\.", "upsample.0."),
    (r"upconv2\.", "upsample.3."),
    (r"conv_hr\.", "hr.0."),
    (r"conv_last\.", "tail."),
)


def _msrresnet(state: State):
    channels = state["conv_first.weight"].shape[0]
    if "upconv2.weight" in state:
        scale = 4
    else:
        scale = _root_of(state["upconv1.weight"].shape[0], channels, "upconv1 output")
    config = msrresnet_config(scale, num_blocks=len(_indices(state, r"body\.(\d+)\.conv1\.weight")), channels=channels)
    if config.in_channels != state["conv_first.weight"].shape[1]:
        raise ValueError(f"conv_first takes {state['conv_first.weight'].shape[1]} channels; MSRResNet import supports 3")
    return config, _renamed(state, _MSRRESNET_NAMES, "BasicSR MSRResNet")


def _swift_srgan(state: State) -> tuple[SwiftSRGANConfig, State]:
    stages = len(_indices(state, r"upsampler\.(\d+)\.conv\.depthwise\.weight"))
    config = SwiftSRGANConfig(scale=2**stages, in_channels=state["initial.cnn.depthwise.weight"].shape[0],
                              num_channels=state["initial.cnn.pointwise.weight"].shape[0],
                              num_blocks=len(_indices(state, r"residual\.(\d+)\.block1\.cnn\.depthwise\.weight")))
    return config, state


def _srgan(state: State) -> tuple[SRGANConfig, State]:
    blocks = len(_indices(state, r"block(\d+)\.conv1\.weight"))
    stages = len(_indices(state, rf"block{blocks + 3}\.(\d+)\.conv\.weight"))  # the x2 stages of the last block
    return SRGANConfig(scale=2**stages, num_blocks=blocks, channels=state["block1.0.weight"].shape[0]), state


INFERRERS: dict[str, Callable[[State], tuple[Any, State]]] = {
    "rrdbnet": _rrdbnet,
    "esrgan_old": _esrgan_old,
    "compact": _compact(None),
    "compact_relu": _compact("relu"),
    "compact_leakyrelu": _compact("leakyrelu"),
    "msrresnet": _msrresnet,
    "swift_srgan": _swift_srgan,
    "srgan": _srgan,
}


def detect_sr_architecture(state: State) -> str | None:
    """Which released layout the keys follow (``None`` when none)."""
    if "conv_first.weight" in state and "body.0.rdb1.conv1.weight" in state:
        return "rrdbnet"
    if "model.0.weight" in state and "model.1.sub.0.RDB1.conv1.0.weight" in state:
        return "esrgan_old"
    if "conv_first.weight" in state and "body.0.conv1.weight" in state and "upconv1.weight" in state:
        return "msrresnet"
    if "body.0.weight" in state and all(key.startswith("body.") for key in state):
        return "compact"
    if "initial.cnn.depthwise.weight" in state and "final_conv.pointwise.weight" in state:
        return "swift_srgan"
    if "block1.0.weight" in state and "block2.conv1.weight" in state and "block2.bn1.running_mean" in state:
        return "srgan"
    return None


def import_sr_checkpoint(path: str | os.PathLike, arch: str = "auto") -> tuple[SRModel, dict[str, Any]]:
    """Build the model a released SR checkpoint holds and load its weights exactly (strict).

    Args:
        path: a ``.pth`` from Real-ESRGAN, BasicSR or the original ESRGAN.
        arch: one of :data:`ARCH_CHOICES`; ``auto`` reads it from the keys.

    Returns:
        (model in eval mode on the CPU, frozen; metadata with ``kind``, ``config``, ``scale``, ``source_format``)

    Raises:
        UserError: unreadable file, unknown layout, or weights that do not fit the inferred model.
    """
    path = Path(path)
    if arch not in ARCH_CHOICES:
        raise UserError(f"--arch {arch}: expected one of {', '.join(ARCH_CHOICES)}")
    state, where = read_foreign_state_dict(path)
    detected = detect_sr_architecture(state)
    chosen = detected if arch == "auto" else arch
    if chosen is None:
        from superres.spandrel_models import load_with_spandrel

        return load_with_spandrel(state, str(path), where)
    if detected is not None and chosen.split("_")[0] != detected.split("_")[0]:
        raise UserError(f"{path}: --arch {arch} does not match this file, whose keys are {detected}'s")
    try:
        config, mapped = INFERRERS[chosen](state)
        model = build_sr_model(config)
        model.load_state_dict(mapped, strict=True)
    except (KeyError, IndexError, ValueError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0][:240] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: weights do not fit a {chosen} model ({reason})") from None
    meta = {"kind": model_kind(config), "config": config_to_dict(config), "task": "superres", "scale": config.scale,
            "source": str(path), "source_format": f"{chosen} ({where})"}
    return model.eval().requires_grad_(False), meta
