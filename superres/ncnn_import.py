"""Read ncnn models (``.param`` text + ``.bin`` weights, as Upscayl and the Real-ESRGAN ncnn-vulkan apps ship them)
back into PyTorch, for the two Real-ESRGAN families: SRVGGNetCompact (convs + PReLU, PixelShuffle, the nearest-
upsampled input added) and RRDBNet (convs with fused LeakyReLU 0.2, dense Concats, nearest x2 upsamplings).

``.param``: a magic line (7767517), a count line, then one layer per line: ``type name n_in n_out inputs...
outputs... key=value...``. ``.bin``: each layer's arrays in layer order; a conv's weights start with a 4-byte
storage flag (0: fp32; 0x01306B47: fp16, padded to 4 bytes), its bias and PReLU slopes are plain fp32. Sizes
come from the ``.param`` and are checked against the ``.bin``'s length before anything is read.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.core.config import config_to_dict
from common.core.errors import UserError

MAGIC = "7767517"
FP16_FLAG, INT8_FLAG = 0x01306B47, 0x000D4B38
MAX_LAYERS = 100_000


@dataclass
class NcnnLayer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, str]


def read_param(path: Path) -> list[NcnnLayer]:
    """The layers of a text ``.param`` file.

    Raises:
        UserError: not an ncnn text param file, or a malformed line.
    """
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable ncnn .param text file ({type(exc).__name__})") from None
    if not lines or lines[0] != [MAGIC] or len(lines) < 2:
        raise UserError(f"{path}: not an ncnn .param file (its first line is not {MAGIC}; binary .param.bin files are not read)")
    layers = []
    for number, words in enumerate(lines[2:MAX_LAYERS + 2], start=3):
        try:
            n_in, n_out = int(words[2]), int(words[3])
            inputs, outputs = words[4:4 + n_in], words[4 + n_in:4 + n_in + n_out]
            params = {int(k): v for k, v in (w.split("=", 1) for w in words[4 + n_in + n_out:])}
        except (IndexError, ValueError):
            raise UserError(f"{path}: line {number} is not an ncnn layer ({' '.join(words)[:80]})") from None
        layers.append(NcnnLayer(words[0], words[1], inputs, outputs, params))
    return layers


class _Weights:
    """Reads arrays from a ``.bin`` in order, never past its end."""

    def __init__(self, path: Path):
        self.path, self.data, self.offset = path, path.read_bytes(), 0

    def _take(self, nbytes: int) -> bytes:
        if self.offset + nbytes > len(self.data):
            raise UserError(f"{self.path}: ends at byte {len(self.data):,}, but the .param needs more weights (is it this .param's .bin?)")
        chunk = self.data[self.offset:self.offset + nbytes]
        self.offset += nbytes
        return chunk

    def flagged(self, count: int) -> np.ndarray:
        flag = int.from_bytes(self._take(4), "little")
        if flag == 0:
            return np.frombuffer(self._take(4 * count), "<f4").copy()
        if flag == FP16_FLAG:
            values = np.frombuffer(self._take(2 * count), "<f2").astype(np.float32)
            self._take(-(2 * count) % 4)
            return values
        if flag == INT8_FLAG:
            raise UserError(f"{self.path}: int8-quantised ncnn weights are not read (export the fp32 or fp16 model)")
        raise UserError(f"{self.path}: unknown ncnn weight storage flag 0x{flag:08x} at byte {self.offset - 4:,} (is it this .param's .bin?)")

    def raw(self, count: int) -> np.ndarray:
        return np.frombuffer(self._take(4 * count), "<f4").copy()


def _conv_arrays(layer: NcnnLayer, weights: _Weights, in_channels: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    out = int(layer.params.get(0, 0))
    kernel_w = int(layer.params.get(1, 0))
    kernel_h = int(layer.params.get(11, kernel_w))
    size = int(layer.params.get(6, 0))
    if out <= 0 or kernel_w <= 0 or size != out * in_channels * kernel_w * kernel_h:
        raise UserError(f"{weights.path}: convolution {layer.name} sizes do not add up ({out} x {in_channels} x {kernel_h} x {kernel_w} != {size})")
    weight = torch.from_numpy(weights.flagged(size).reshape(out, in_channels, kernel_h, kernel_w))
    bias = torch.from_numpy(weights.raw(out)) if layer.params.get(5, "0") == "1" else None
    return weight, bias


def _convs_and_slopes(layers: list[NcnnLayer], weights: _Weights) -> list[tuple[str, Any]]:
    """("conv", (weight, bias)) and ("prelu", slopes) in layer order, input channels tracked through the graph."""
    channels: dict[str, int] = {}
    found: list[tuple[str, Any]] = []
    for layer in layers:
        if layer.type == "Input":
            channels[layer.outputs[0]] = 3
        elif layer.type == "Convolution":
            weight, bias = _conv_arrays(layer, weights, channels[layer.inputs[0]])
            found.append(("conv", (weight, bias, layer.params.get(9, "0"))))
            channels[layer.outputs[0]] = weight.shape[0]
        elif layer.type == "PReLU":
            found.append(("prelu", torch.from_numpy(weights.raw(int(layer.params.get(0, 1))))))
            channels[layer.outputs[0]] = channels[layer.inputs[0]]
        elif layer.type == "Concat":
            channels[layer.outputs[0]] = sum(channels[name] for name in layer.inputs)
        elif layer.type == "PixelShuffle":
            factor = int(layer.params.get(0, 1))
            channels[layer.outputs[0]] = channels[layer.inputs[0]] // (factor * factor)
        elif layer.type in ("Reshape", "Permute") and layer.inputs:
            raise UserError(f"{weights.path}: layer {layer.type} {layer.name} (a pixel-unshuffle graph?) is not supported here")
        else:
            for output in layer.outputs:
                channels[output] = channels.get(layer.inputs[0], 3) if layer.inputs else 3
    return found


def import_ncnn(param: str | os.PathLike, bin_path: str | os.PathLike | None = None) -> tuple[torch.nn.Module, dict[str, Any]]:
    """(model in eval mode on the CPU, metadata) rebuilt from an ncnn pair of a Real-ESRGAN family.

    Raises:
        UserError: missing files, another architecture, or weights that do not fit.
    """
    param = Path(param)
    bin_path = Path(bin_path) if bin_path else param.with_suffix(".bin")
    for path in (param, bin_path):
        if not path.is_file():
            raise UserError(f"{path}: file not found (an ncnn model is a .param and a .bin)")
    layers = read_param(param)
    types = {layer.type for layer in layers}
    weights = _Weights(bin_path)
    found = _convs_and_slopes(layers, weights)
    if weights.offset != len(weights.data):
        raise UserError(f"{bin_path}: {len(weights.data) - weights.offset:,} bytes left over after the weights the .param names")
    if "PReLU" in types and "PixelShuffle" in types and "Concat" not in types:
        model, kind = _compact(found), "compact"
    elif "Concat" in types and "Interp" in types:
        model, kind = _rrdbnet(found, layers), "rrdbnet"
    else:
        raise UserError(f"{param}: not a Real-ESRGAN SRVGGNetCompact or RRDBNet graph (layer types {', '.join(sorted(types))})")
    meta = {"kind": _kind(model), "config": config_to_dict(model.config), "task": "superres", "scale": model.config.scale,
            "source": str(param), "source_format": f"{kind} (ncnn)"}
    return model.eval().requires_grad_(False), meta


def _kind(model: torch.nn.Module) -> str:
    from superres.architectures import model_kind

    return model_kind(model.config)


def _compact(found: list[tuple[str, Any]]) -> torch.nn.Module:
    from superres.compact import CompactConfig, CompactSR

    convs = [value for what, value in found if what == "conv"]
    first, last = convs[0][0], convs[-1][0]
    scale = round((last.shape[0] / first.shape[1]) ** 0.5)
    model = CompactSR(CompactConfig(scale=scale, in_channels=first.shape[1], out_channels=first.shape[1], num_features=first.shape[0],
                                    num_convs=len(convs) - 2, activation="prelu"))
    state, body = {}, iter(range(len(model.body)))
    for what, value in found:
        index = next(body)
        if what == "conv":
            state[f"body.{index}.weight"], state[f"body.{index}.bias"] = value[0], value[1]
        else:
            state[f"body.{index}.weight"] = value
    _load(model, state)
    return model


def _rrdbnet(found: list[tuple[str, Any]], layers: list[NcnnLayer]) -> torch.nn.Module:
    from superres.rrdbnet import RRDBNet, RRDBNetConfig

    convs = [value for what, value in found if what == "conv"]
    blocks = (len(convs) - 6) // 15
    if len(convs) != 15 * blocks + 6 or blocks < 1:
        raise UserError(f"{len(convs)} convolutions do not make an RRDBNet (15 per block + 6)")
    first, last = convs[0][0], convs[-1][0]
    if first.shape[1] != last.shape[0]:
        raise UserError("an RRDBNet whose first conv takes other channels than the output has (pixel-unshuffle x2/x1) is not supported here")
    model = RRDBNet(RRDBNetConfig(scale=4, in_channels=last.shape[0], out_channels=last.shape[0], num_features=first.shape[0],
                                  num_blocks=blocks, growth=convs[1][0].shape[0]))
    names = [name[: -len(".weight")] for name, _ in model.named_parameters() if name.endswith(".weight")]
    state = {}
    for name, (weight, bias, _) in zip(names, convs):
        state[f"{name}.weight"], state[f"{name}.bias"] = weight, bias
    _load(model, state)
    return model


def _load(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise UserError(f"the ncnn weights do not fit the rebuilt network ({str(exc).splitlines()[0][:200]})") from None
