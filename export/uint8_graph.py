"""Image-in, image-out graphs (``superres export --io uint8``): the graph takes canvas-style pixels and returns
pixels, so an app passes an ImageData and gets one back with nothing to get wrong around it.

Input ``image``: uint8 (H, W, 4), RGBA, as canvas ImageData holds it (an RGB app appends alpha 255). Output
``output``: uint8 (H*s, W*s, 4). Inside the graph, as the CLI does it: scaling to the network's range,
the network, clamping and rounding half to even; an image whose three channels are equal everywhere is grey
(the outputs averaged back, so grey stays grey); alpha upscaled with bicubic (A = -0.75, the CLI's OpenCV
rule; within 1 level of it). The graph runs whole images (``whole_image`` in its document): it decides grey
from what it is given, so a grey tile of a colour image would be averaged; apps that must tile use the float graph.
"""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from common.core.errors import UserError
from export.uint8_io import IO_KEYS, worst_level_difference

class Uint8SuperResolution(nn.Module):
    """``model`` (float NCHW in ``input_range`` -> ``output_range``) wrapped to uint8 RGBA in and out."""

    def __init__(self, model: nn.Module, scale: int, input_range=(0.0, 1.0), output_range=(0.0, 1.0)):
        super().__init__()
        self.model, self.scale = model, scale
        self.input_range, self.output_range = tuple(map(float, input_range)), tuple(map(float, output_range))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        low, high = self.input_range
        out_low, out_high = self.output_range
        pixels = image.permute(2, 0, 1)[None].float()  # (1, 4, H, W) in 0..255
        rgb = pixels[:, :3] / 255.0
        result = (self.model(rgb * (high - low) + low) - out_low) / (out_high - out_low)
        colour = torch.round(result.clamp(0, 1) * 255.0)
        grey = (rgb[:, 0] == rgb[:, 1]).all() & (rgb[:, 1] == rgb[:, 2]).all()
        colour = torch.where(grey, torch.round(colour.mean(dim=1, keepdim=True)).expand_as(colour), colour)
        alpha = F.interpolate(pixels[:, 3:], scale_factor=float(self.scale), mode="bicubic", align_corners=False)
        alpha = torch.round(alpha.clamp(0, 255))
        return torch.cat([colour, alpha], dim=1)[0].permute(1, 2, 0).to(torch.uint8)


class Uint8Translation(nn.Module):
    """A translation generator (float NCHW in [-1, 1], sides multiples of ``multiple_of``) wrapped to uint8 RGBA in
    and out: padded right and bottom by reflection to the multiple and cropped back inside, alpha passed through.
    Sides of at least 8 (the bottleneck reflect-pads); the readers here pad smaller images by their edge first."""

    min_side = 8

    def __init__(self, model: nn.Module, multiple_of: int = 4):
        super().__init__()
        self.model, self.multiple_of = model, multiple_of

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[0], image.shape[1]
        pixels = image.permute(2, 0, 1)[None].float()
        rgb = pixels[:, :3] / 255.0
        pad_h, pad_w = (self.multiple_of - height % self.multiple_of) % self.multiple_of, (self.multiple_of - width % self.multiple_of) % self.multiple_of
        result = self.model(F.pad(rgb * 2.0 - 1.0, (0, pad_w, 0, pad_h), mode="reflect"))[:, :, :height, :width]
        colour = torch.round(((result + 1.0) / 2.0).clamp(0, 1) * 255.0)
        grey = (rgb[:, 0] == rgb[:, 1]).all() & (rgb[:, 1] == rgb[:, 2]).all()
        colour = torch.where(grey, torch.round(colour.mean(dim=1, keepdim=True)).expand_as(colour), colour)
        return torch.cat([colour, pixels[:, 3:]], dim=1)[0].permute(1, 2, 0).to(torch.uint8)


def export_uint8_proto(module: nn.Module, opset: int) -> onnx.ModelProto:
    """The graph with dynamic height and width (at least 2 pixels each, 8 for a translation)."""
    smallest = getattr(module, "min_side", 2)
    height, width = torch.export.Dim("height", min=smallest, max=16384), torch.export.Dim("width", min=smallest, max=16384)
    example = torch.randint(0, 256, (24, 32, 4), dtype=torch.uint8)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(module, (example,), str(path), dynamo=True, external_data=False, opset_version=opset,
                          input_names=["image"], output_names=["output"], dynamic_shapes={"image": {0: height, 1: width}}, verbose=False)
        return onnx.load(str(path))


def png_reference(engine_array):
    """A CLI engine's ``upscale_array`` / ``translate_array`` as a reference that takes and returns RGBA: what the CLI
    writes for this image saved as a PNG, where equal channels make a grey (plus alpha) PNG."""
    def reference(rgba: np.ndarray) -> np.ndarray:
        grey = (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 1] == rgba[..., 2]).all()
        out = engine_array(rgba[..., [0, 3]] if grey else rgba)
        return np.concatenate([np.repeat(out[..., :1], 3, axis=2), out[..., 1:]], axis=2) if grey else out

    return reference


def export_uint8_graph(module: nn.Module, output: Path, metadata: dict[str, str], engine_array, opset: int = 18,
                       overwrite: bool = False, max_levels: int = 1):
    """Write the uint8 graph of ``module`` to ``output`` (and its sidecar and card), verified first: on every
    :func:`verification_images` image within ``max_levels`` of ``engine_array`` (the CLI's engine on an (H, W, C)
    array, through :func:`png_reference`). Says what it measured in one line.

    Returns:
        A :class:`export.onnx_export.VerificationReport` of the level differences.

    Raises:
        UserError: ``output`` exists (without ``overwrite``); ExportVerificationError: the graph disagrees.
    """
    from common.core.console import log
    from export.onnx_export import (
        ExportVerificationError, VerificationReport, check_opset, finish_graph, prepare_output, publish_with_sidecar, save_onnx_atomic,
        writing_output,
    )

    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists (pass --overwrite to replace it)")
    check_opset(opset)
    prepare_output(output)
    model = export_uint8_proto(module.float().eval().cpu(), opset)
    meta = finish_graph(model, {**metadata, **IO_KEYS, "input_range": "0,255", "output_range": "0,255"}, "fp32", 1, output)
    with writing_output(output), tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.", suffix=".partial") as tmp:
        candidate = Path(tmp) / output.name
        save_onnx_atomic(model, candidate)
        differences = worst_level_difference(candidate, png_reference(engine_array), flat=not isinstance(module, Uint8Translation))
        if max(differences.values()) > max_levels:
            details = ", ".join(f"{name}: {levels}" for name, levels in differences.items())
            raise ExportVerificationError(f"{output}: the uint8 graph differs from the CLI by more than {max_levels} level ({details}); no file written")
        publish_with_sidecar(candidate, output, meta, overwrite)
    log(f"{output}: uint8 RGBA in and out; verified against the CLI's engine, max "
        + ", ".join(f"{name} {levels}" for name, levels in differences.items()) + " levels")
    return VerificationReport({name: float(levels) for name, levels in differences.items()}, float(max_levels))
