"""CycleGAN generators to verified ONNX files with gansuite metadata."""
from __future__ import annotations

import os
from pathlib import Path

from common.core.console import log
from common.core.errors import UserError
from common.io.images import read_rgb8
from export.metadata import build_metadata
from export.onnx_export import VerificationReport, export_onnx
from export.int8_choice import TRANSLATION_POLICY, Int8Policy
from export.quantize import export_int8, log_int8_report
from translate.models import MODEL_KIND
from translate.translator import load_generator


# Only the convolutions run on int8 (and not the first and last, nor anything at the input): quantising the input
# tied on rounding (34.9 dB against fp32, up to 32 levels), and InstanceNorm's statistics, the residual adds and
# the output need the float range; a quantised InstanceNorm also gave DequantizeLinear shapes that OpenCV 5 and
# WebGPU reject. The convolutions are where the time goes.
INT8_OP_TYPES = ("Conv", "ConvTranspose")


def export_translate_model(run: str | os.PathLike, direction: str | None, output: str | os.PathLike, opset: int = 18,
                           fp16: bool = False, overwrite: bool = False, verify_image: str | None = None,
                           int8_calibration: str | None = None, int8_policy: Int8Policy = TRANSLATION_POLICY, io: str = "float") -> VerificationReport:
    """Export one direction of a run (or a generator .safetensors / junyanz .pth file). Input/output are in
    [-1, 1]; H and W must be multiples of 4 (the metadata says so; ``translate run`` pads automatically).
    With ``int8_calibration`` (an image folder) the verified fp32 graph is statically quantised to int8.
    ``io="uint8"`` writes an image-in, image-out graph instead (:class:`export.uint8_graph.Uint8Translation`)."""
    output = Path(output)
    if output.suffix != ".onnx":
        raise UserError(f"{output}: the output file must end in .onnx")
    if fp16 and int8_calibration:
        raise UserError("--fp16 and --int8 are exclusive")
    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists (pass --overwrite to replace it)")
    if io not in ("float", "uint8"):
        raise UserError(f"--io {io}: expected float or uint8")
    if io == "uint8" and (fp16 or int8_calibration):
        raise UserError("--io uint8: an fp32 graph only (not with --fp16 or --int8)")
    model, meta = load_generator(run, direction)
    metadata = build_metadata("translate", MODEL_KIND, meta["config"], 1, (-1, 1), (-1, 1),
                              {"direction": meta.get("direction", direction or ""), "domains": meta.get("domains", []),
                               "license": str(meta.get("license", "unknown")), "training_data": str(meta.get("training_data", "unknown")),
                               "tile_overlap": 64})  # InstanceNorm: tiles are approximate, cross-fade this many pixels
    if io == "uint8":
        return _export_uint8(model, output, metadata, opset, overwrite)
    real = read_rgb8(verify_image)[:128, :128] if verify_image else None
    if int8_calibration:
        report = export_int8(model, output, metadata, int8_calibration, opset, input_range=(-1, 1), multiple_of=4, real_image=real,
                             overwrite=overwrite, policy=int8_policy, op_types=INT8_OP_TYPES)
        log_int8_report(output, int8_calibration, report)
        return report
    report = export_onnx(model, output, metadata, input_range=(-1, 1), multiple_of=4, opset=opset, fp16=fp16, real_image=real, overwrite=overwrite)
    log(f"{output}: verified against PyTorch, max |diff| {report.worst:.2e} <= {report.tolerance:g}")
    return report


def _export_uint8(model, output: Path, metadata: dict[str, str], opset: int, overwrite: bool) -> VerificationReport:
    from export.uint8_graph import Uint8Translation, export_uint8_graph
    from translate.translator import Translator

    return export_uint8_graph(Uint8Translation(model), output, metadata, Translator(model, device="cpu").translate_array, opset, overwrite)
