"""Import generators trained with junyanz/pytorch-CycleGAN-and-pix2pix (``latest_net_G_A.pth``, the published
horse2zebra / summer2winter / monet2photo ``*.pth``) as gansuite ResnetGenerators.

The reference ``ResnetGenerator`` is one ``nn.Sequential`` named ``model``; gansuite's has the same layer
order, except that a residual block writes its reflection padding into the convs. The only renaming is
therefore inside the blocks: ``model.<i>.conv_block.{1,5}`` (``{1,6}`` with dropout) -> ``model.<i>.body.{0,3}``.
As the reference's loader does, InstanceNorm running statistics written by PyTorch 0.3 are dropped.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.weights.foreign import read_foreign_state_dict
from translate.models import MODEL_KIND, ResnetGenerator, ResnetGeneratorConfig

State = dict[str, torch.Tensor]
_BLOCK_CONV = re.compile(r"model\.(\d+)\.conv_block\.(\d+)\.(.+)")
_LAYER = re.compile(r"model\.(\d+)\.(.+)")


def _norm_kind(state: State) -> str:
    """``batch`` when the first norm layer has affine weights and running stats; ``instance`` when it has no
    weights (affine=False; running stats alone are PyTorch 0.3's leftovers)."""
    if "model.2.weight" in state and "model.2.running_mean" in state:
        return "batch"
    if "model.2.weight" in state:
        raise ValueError("affine InstanceNorm generators (norm weights without running stats) are not supported")
    if "model.1.bias" not in state:
        raise ValueError("convs without bias and no norm layers: a norm='none' generator, not supported")
    return "instance"


def _is_running_stat(leaf: str) -> bool:
    return leaf in ("running_mean", "running_var", "num_batches_tracked")


def _rename(state: State, norm: str) -> State:
    # Reference block: pad, conv, norm, relu, [dropout], pad, conv, norm. gansuite block: conv, norm, relu, conv, norm.
    dropout = any(key.endswith("conv_block.6.weight") and value.ndim == 4 for key, value in state.items())
    positions = {1: 0, 2: 1, 6: 3, 7: 4} if dropout else {1: 0, 2: 1, 5: 3, 6: 4}
    renamed: State = {}
    for key, value in state.items():
        block = _BLOCK_CONV.fullmatch(key)
        layer = _LAYER.fullmatch(key)
        leaf = block.group(3) if block else layer.group(2) if layer else None
        if leaf is None or (block and int(block.group(2)) not in positions):
            raise ValueError(f"unexpected key {key!r}")
        if norm == "instance" and _is_running_stat(leaf):
            continue  # PyTorch 0.3 InstanceNorm statistics: never used, dropped as the reference's loader does
        renamed[f"model.{block.group(1)}.body.{positions[int(block.group(2))]}.{leaf}" if block else key] = value
    return renamed


def infer_generator_config(state: State) -> ResnetGeneratorConfig:
    """The reference generator's configuration, read from key names and shapes."""
    blocks = sorted({int(m.group(1)) for key in state if (m := _BLOCK_CONV.fullmatch(key))})
    first = state["model.1.weight"]
    last_index = max(int(m.group(1)) for key in state if (m := _LAYER.fullmatch(key)) and key.endswith(".weight") and state[key].ndim == 4)
    return ResnetGeneratorConfig(in_channels=first.shape[1], out_channels=state[f"model.{last_index}.weight"].shape[0],
                                 ngf=first.shape[0], n_blocks=len(blocks), norm=_norm_kind(state), upsample="transpose")


def import_cyclegan_generator(path: str | os.PathLike) -> tuple[ResnetGenerator, dict[str, Any]]:
    """Build the generator of a junyanz ``*_net_G*.pth`` and load its weights exactly (strict).

    Returns:
        (model in eval mode on the CPU, frozen; metadata with ``kind``, ``config``, ``source_format``)

    Raises:
        UserError: unreadable file, not a ResNet generator (U-Net generators are not supported), or weights that
            do not fit the inferred configuration.
    """
    path = Path(path)
    state, where = read_foreign_state_dict(path)
    if "model.1.weight" not in state or not any(_BLOCK_CONV.fullmatch(key) for key in state):
        keys = ", ".join(list(state)[:4])
        raise UserError(f"{path}: not a CycleGAN ResnetGenerator checkpoint (keys {keys}, ...); expected junyanz "
                        "model.<i>.conv_block keys (resnet_9blocks / resnet_6blocks)")
    try:
        config = infer_generator_config(state)
        model = ResnetGenerator(config)
        model.load_state_dict(_rename(state, config.norm), strict=True)
    except (KeyError, IndexError, ValueError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0][:240] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: weights do not fit a CycleGAN ResnetGenerator ({reason})") from None
    meta = {"kind": MODEL_KIND, "config": config_to_dict(config), "task": "translate", "source": str(path),
            "source_format": f"junyanz resnet_{config.n_blocks}blocks ({where})"}
    return model.eval().requires_grad_(False), meta
