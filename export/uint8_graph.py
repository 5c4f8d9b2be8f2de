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


def export_uint8_proto(module: Uint8SuperResolution, opset: int) -> onnx.ModelProto:
    """The graph with dynamic height and width (at least 2 pixels each)."""
    height, width = torch.export.Dim("height", min=2, max=16384), torch.export.Dim("width", min=2, max=16384)
    example = torch.randint(0, 256, (24, 32, 4), dtype=torch.uint8)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(module, (example,), str(path), dynamo=True, external_data=False, opset_version=opset,
                          input_names=["image"], output_names=["output"], dynamic_shapes={"image": {0: height, 1: width}}, verbose=False)
        return onnx.load(str(path))


def export_uint8_graph(module: Uint8SuperResolution, output: Path, metadata: dict[str, str], reference, opset: int = 18,
                       overwrite: bool = False, max_levels: int = 1) -> dict[str, int]:
    """Write the uint8 graph of ``module`` to ``output`` (and its sidecar and card), verified first: on every
    :func:`verification_images` image within ``max_levels`` of ``reference`` (the CLI's engine).

    Raises:
        UserError: ``output`` exists (without ``overwrite``); ExportVerificationError: the graph disagrees.
    """
    from export.onnx_export import ExportVerificationError, check_opset, finish_graph, prepare_output, publish_with_sidecar, save_onnx_atomic, writing_output

    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists (pass --overwrite to replace it)")
    check_opset(opset)
    prepare_output(output)
    model = export_uint8_proto(module.float().eval().cpu(), opset)
    meta = finish_graph(model, {**metadata, **IO_KEYS, "input_range": "0,255", "output_range": "0,255"}, "fp32", 1, output)
    with writing_output(output), tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.", suffix=".partial") as tmp:
        candidate = Path(tmp) / output.name
        save_onnx_atomic(model, candidate)
        differences = worst_level_difference(candidate, reference)
        if max(differences.values()) > max_levels:
            details = ", ".join(f"{name}: {levels}" for name, levels in differences.items())
            raise ExportVerificationError(f"{output}: the uint8 graph differs from the CLI by more than {max_levels} level ({details}); no file written")
        publish_with_sidecar(candidate, output, meta, overwrite)
    return differences
