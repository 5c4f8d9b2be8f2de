"""SR models to ONNX (fp32, fp16, int8) with gansuite metadata, and the int8 quality check."""
from __future__ import annotations

import os
from pathlib import Path

from common.core.console import log
from common.core.errors import UserError
from common.io.images import list_images, read_rgb8
from common.tiling.feature_size import feature_bytes_per_pixel
from export.fixed_size import check_input_size
from export.metadata import build_metadata
from export.onnx_export import VerificationReport, export_onnx
from export.int8_choice import Int8Policy
from export.quantize import export_int8, log_int8_report
from superres.pretrained import load_sr_model


def export_sr_model(model_spec: str, output: str | os.PathLike, opset: int = 18, fp16: bool = False,
                    int8_calibration: str | None = None, overwrite: bool = False, verify_image: str | None = None,
                    arch: str = "auto", denoise: float | None = None, int8_policy: Int8Policy = Int8Policy(),
                    announce: bool = True, input_size: tuple[int, int] | None = None, io: str = "float") -> VerificationReport:
    """Export an SR generator (``default`` or ``gan`` at a ``denoise`` strength, ``clean``, a run directory, .safetensors or a
    released .pth) to a verified ONNX file.

    With ``int8_calibration`` (an image folder) the verified fp32 export is statically quantised to int8; where int8
    misses ``int8_policy`` (levels off fp32, speed) the fp32 graph is written instead, its metadata saying why.
    ``announce=False`` leaves out the fp32 verification line (for callers that say what they did themselves).
    ``input_size`` (height, width) writes a fixed-size graph (:mod:`export.fixed_size`) for runtimes without dynamic
    shapes; consumers run it on windows of that size. ``io="uint8"`` writes an image-in, image-out graph
    (:mod:`export.uint8_graph`) instead of the float NCHW one.
    """
    output = Path(output)
    if output.suffix != ".onnx":
        raise UserError(f"{output}: the output file must end in .onnx")
    if fp16 and int8_calibration:
        raise UserError("--fp16 and --int8 are exclusive")
    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists (pass --overwrite to replace it)")
    if input_size and int8_calibration:
        raise UserError("--input-size with --int8: not supported (quantise the dynamic graph; consumers tile it)")
    if io not in ("float", "uint8"):
        raise UserError(f"--io {io}: expected float or uint8")
    if io == "uint8" and (fp16 or int8_calibration or input_size):
        raise UserError("--io uint8: an fp32 graph of dynamic size only (not with --fp16, --int8 or --input-size)")
    model, meta = load_sr_model(model_spec, arch, denoise)
    if input_size:
        check_input_size(input_size, model.receptive_radius, model.multiple_of)
    metadata = build_metadata(
        "superres", meta["kind"], meta["config"], model.config.scale, (0, 1), (0, 1),
        {"receptive_radius": model.receptive_radius, "tile_overlap": model.receptive_radius, "tile_multiple": model.multiple_of,
         "feature_bytes_per_pixel": feature_bytes_per_pixel(model, getattr(model.config, "in_channels", 3), multiple=model.multiple_of),
         "source": str(model_spec), **({"denoise": meta["denoise"]} if "denoise" in meta else {}), **sr_provenance(str(model_spec), meta),
         **({"input_size": list(input_size)} if input_size else {})},
    )
    if io == "uint8":
        return _export_uint8(model, output, metadata, opset, overwrite)
    real_image = read_rgb8(verify_image)[:128, :128] if verify_image else _first_image(int8_calibration)
    if not int8_calibration:
        report = export_onnx(model, output, metadata, fp16=fp16, opset=opset, real_image=real_image, overwrite=overwrite,
                             input_size=input_size)
        if announce:
            _log_report(output, report)
        return report
    report = export_int8(model, output, metadata, int8_calibration, opset, real_image=real_image, overwrite=overwrite, policy=int8_policy)
    log_int8_report(output, int8_calibration, report)
    return report


def _export_uint8(model, output: Path, metadata: dict[str, str], opset: int, overwrite: bool) -> VerificationReport:
    from export.uint8_graph import Uint8SuperResolution, export_uint8_graph
    from superres.upscaler import Upscaler

    engine = Upscaler(model, device="cpu", tile=0, fast=False)
    return export_uint8_graph(Uint8SuperResolution(model, model.config.scale), output, metadata, engine.upscale_array, opset, overwrite)


def sr_provenance(spec: str, meta: dict) -> dict[str, str]:
    """``license`` and ``training_data`` for the model document: the embedded models' own, a named release's
    licence (its training data is its publisher's to say), or what a run recorded ("unknown" otherwise)."""
    from superres.named_models import named_models
    from superres.weights import EMBEDDED_LICENCE, EMBEDDED_TRAINING_DATA

    if spec in EMBEDDED_TRAINING_DATA:
        return {"license": EMBEDDED_LICENCE, "training_data": EMBEDDED_TRAINING_DATA[spec]}
    named = named_models().get(spec)
    if named is not None:
        return {"license": named.licence, "training_data": f"see its publisher ({named.url})"}
    return {"license": str(meta.get("license", "unknown")), "training_data": str(meta.get("training_data", "unknown"))}


def _first_image(folder: str | None):
    paths = list_images([folder]) if folder and Path(folder).is_dir() else []
    return read_rgb8(paths[0])[:128, :128] if paths else None


def _log_report(output: Path, report: VerificationReport) -> None:
    cases = ", ".join(f"{name} {diff:.1e}" for name, diff in report.max_abs_diff.items())
    log(f"{output}: verified against PyTorch, max |diff| {report.worst:.2e} <= {report.tolerance:g} ({cases})")
