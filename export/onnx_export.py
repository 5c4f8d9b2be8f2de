"""Export a generator to one self-contained, self-verified ONNX file.

Dynamic batch, height and width; opset 18; no external-data side file; gansuite metadata inside. Every export
runs the file with onnxruntime against PyTorch on random inputs of several shapes and on a real image, and
fails (leaving no file) when the fp32 max absolute difference exceeds 1e-4.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import onnx
import torch
from torch import nn

from common.core.errors import UserError
from common.core.files import check_writable, publish_temp_file, remove_stale_partials
from export.graph_tidy import check_valid, drop_stale_value_info, topologically_sorted
from export.metadata import add_doc_strings, sidecar_path, write_sidecar
from export.model_card import card_path, write_model_card
from export.model_document import DOCUMENT_KEY, document_text, model_document

FP32_TOLERANCE = 1e-4
FP16_TOLERANCE = 2e-2
VERIFY_SHAPES = ((1, 32, 32), (2, 24, 40), (1, 45, 29))


class ExportVerificationError(UserError):
    pass


@dataclass(frozen=True)
class VerificationReport:
    max_abs_diff: dict[str, float]
    tolerance: float

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values())


def _export_to_proto(module: nn.Module, channels: int, opset: int, multiple_of: int,
                     input_size: tuple[int, int] | None = None) -> onnx.ModelProto:
    if getattr(module, "onnx_legacy_export", False):
        return _legacy_export_to_proto(module, channels, opset, multiple_of, input_size)
    if input_size is not None:
        return _static_export_to_proto(module, channels, opset, input_size)
    example = torch.rand(1, channels, 8 * multiple_of, 8 * multiple_of)
    batch = torch.export.Dim("batch", min=1, max=1024)
    if multiple_of > 1:
        # H, W = multiple_of * k: tells the exporter the sizes a generator with stride-2 layers accepts.
        height, width = torch.export.Dim("h_units", min=1, max=4096) * multiple_of, torch.export.Dim("w_units", min=1, max=4096) * multiple_of
    else:
        height, width = torch.export.Dim("height", min=2, max=16384), torch.export.Dim("width", min=2, max=16384)
    input_name = next(iter(inspect.signature(module.forward).parameters))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            module, (example,), str(path), dynamo=True, external_data=False, opset_version=opset,
            input_names=["image"], output_names=["output"],
            dynamic_shapes={input_name: {0: batch, 2: height, 3: width}}, verbose=False,
        )
        return onnx.load(str(path))


def _static_export_to_proto(module: nn.Module, channels: int, opset: int, input_size: tuple[int, int]) -> onnx.ModelProto:
    """A graph of one input shape, 1 x channels x H x W, with every shape inside it constant (``--input-size``)."""
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(module, (torch.rand(1, channels, *input_size),), str(path), dynamo=True, external_data=False,
                          opset_version=opset, input_names=["image"], output_names=["output"], verbose=False)
        return onnx.load(str(path))


def _legacy_export_to_proto(module: nn.Module, channels: int, opset: int, multiple_of: int,
                            input_size: tuple[int, int] | None = None) -> onnx.ModelProto:
    """The TorchScript-tracing exporter, for modules that ask for it (``onnx_legacy_export``): code written for
    tracing, which torch.export does not always take."""
    side = -(-32 // multiple_of) * multiple_of
    shape = (1, channels, *(input_size or (side, side)))
    dynamic = None if input_size else {"image": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "out_height", 3: "out_width"}}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(module, (torch.rand(*shape),), str(path), dynamo=False, opset_version=opset,
                          input_names=["image"], output_names=["output"], dynamic_axes=dynamic)
        return onnx.load(str(path))


def convert_to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """fp16 weights and activations inside, fp32 input and output kept (GPU deployment)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return convert_float_to_float16(model, keep_io_types=True)


def verify(path: Path, module: nn.Module, channels: int, multiple_of: int, tolerance: float,
           real_image: np.ndarray | None, input_range: tuple[float, float], input_size: tuple[int, int] | None = None) -> VerificationReport:
    """Max |onnxruntime - PyTorch| on random inputs of several shapes and on ``real_image`` (H, W, C uint8); a
    fixed-size graph on two random inputs and the real image, all of its one size."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    low, high = input_range
    cases: dict[str, torch.Tensor] = {}
    generator = torch.Generator().manual_seed(0)
    shapes = VERIFY_SHAPES if input_size is None else ((1, *input_size), (1, *input_size))
    for index, (batch, height, width) in enumerate(shapes):
        height, width = -(-height // multiple_of) * multiple_of, -(-width // multiple_of) * multiple_of
        cases[f"random {batch}x{channels}x{height}x{width}" + (f" #{index}" if input_size else "")] = torch.rand(batch, channels, height, width, generator=generator)
    if real_image is not None:
        crop = real_image[: real_image.shape[0] // multiple_of * multiple_of, : real_image.shape[1] // multiple_of * multiple_of, :channels]
        if input_size is not None:
            reps = (-(-input_size[0] // crop.shape[0]), -(-input_size[1] // crop.shape[1]), 1)
            crop = np.tile(crop, reps)[: input_size[0], : input_size[1]]
        cases[f"real image {crop.shape[1]}x{crop.shape[0]}"] = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float() / 255
    diffs = {}
    for name, unit in cases.items():
        inputs = unit * (high - low) + low
        with torch.no_grad():
            expected = module(inputs).numpy()
        actual = session.run(None, {session.get_inputs()[0].name: inputs.numpy()})[0]
        diffs[name] = float(np.abs(actual.astype(np.float32) - expected).max())
    return VerificationReport(diffs, tolerance)


def written_opset(model: onnx.ModelProto) -> int:
    """The default-domain opset the graph really declares (what a runtime must support)."""
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))


def check_opset(opset: int) -> None:
    """Refuse an opset the exporter cannot write: older than 17, or newer than the installed onnx defines (the
    exporter would fall back to another opset with a traceback).

    Raises:
        UserError: naming ``--opset`` and the supported range.
    """
    newest = onnx.defs.onnx_opset_version()
    if not 17 <= opset <= newest:
        raise UserError(f"--opset {opset}: gansuite exports opsets 17 to {newest} (the newest the installed onnx {onnx.__version__} defines)")


def finish_graph(model: onnx.ModelProto, metadata: dict[str, str], precision: str, multiple_of: int, path: Path) -> dict[str, str]:
    """Stamp the metadata (with precision, the opset the graph declares, and multiple) and doc strings on ``model``
    and check it is a valid ONNX graph; returns the metadata written.

    Raises:
        ExportVerificationError: the checker refuses the graph (nothing is written).
    """
    meta = {**metadata, "precision": precision, "opset": str(written_opset(model)), "multiple_of": str(multiple_of)}
    meta[DOCUMENT_KEY] = document_text(meta)  # the sidecar holds the same text
    onnx.helper.set_model_props(model, meta)
    add_doc_strings(model, meta)
    try:
        check_valid(model, str(path))
    except ValueError as exc:
        raise ExportVerificationError(f"{exc}; no file written") from None
    return meta


def save_onnx_atomic(model: onnx.ModelProto, path: Path) -> None:
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    try:
        onnx.save_model(model, tmp_name, save_as_external_data=False)
        publish_temp_file(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def export_onnx(
    module: nn.Module,
    path: str | os.PathLike,
    metadata: dict[str, str],
    channels: int = 3,
    input_range: tuple[float, float] = (0.0, 1.0),
    multiple_of: int = 1,
    opset: int = 18,
    fp16: bool = False,
    real_image: np.ndarray | None = None,
    overwrite: bool = False,
    input_size: tuple[int, int] | None = None,
) -> VerificationReport:
    """Export ``module`` (fp32, eval mode, CPU) to ``path`` and verify it.

    Args:
        module: generator taking (B, channels, H, W) in ``input_range``.
        metadata: from :func:`export.metadata.build_metadata`.
        multiple_of: H and W must be multiples of this (4 for the CycleGAN generator).
        fp16: store fp16 weights/activations (fp32 I/O); verified with a looser tolerance.
        real_image: (H, W, C) uint8 image for the real-image check (a smooth synthetic one if None).
        input_size: (H, W) of a fixed-size graph (batch 1, no dynamic axes; :mod:`export.fixed_size`); None: dynamic.

    Returns:
        The verification report (max abs differences per case).

    Raises:
        UserError: ``path`` exists (without ``overwrite``), bad opset.
        ExportVerificationError: onnxruntime disagrees with PyTorch beyond the tolerance (no file is left).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserError(f"{path}: already exists (pass --overwrite to replace it)")
    check_opset(opset)
    prepare_output(path)
    module = module.float().eval().cpu()
    model = _export_to_proto(module, channels, opset, multiple_of, input_size)
    if written_opset(model) != opset:
        raise UserError(f"--opset {opset}: the exporter wrote opset {written_opset(model)} instead; no file written")
    if fp16:
        model = drop_stale_value_info(topologically_sorted(convert_to_fp16(model)))
    meta = finish_graph(model, metadata, "fp16" if fp16 else "fp32", multiple_of, path)
    if real_image is None:
        real_image = synthetic_test_image()
    with writing_output(path), tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.", suffix=".partial") as tmp:
        candidate = Path(tmp) / path.name
        save_onnx_atomic(model, candidate)
        report = verify(candidate, module, channels, multiple_of, FP16_TOLERANCE if fp16 else FP32_TOLERANCE, real_image, input_range, input_size)
        if report.worst > report.tolerance:
            details = ", ".join(f"{name}: {diff:.2e}" for name, diff in report.max_abs_diff.items())
            raise ExportVerificationError(f"{path}: onnxruntime differs from PyTorch by more than {report.tolerance:g} ({details}); no file written")
        publish_with_sidecar(candidate, path, meta, overwrite)
    return report


def publish_with_sidecar(candidate: Path, path: Path, meta: dict[str, str], overwrite: bool) -> None:
    """Move the verified ``candidate`` onto ``path``, then write its sidecar and model card; when the sidecar cannot be written,
    the model goes again, so an export is never left half done. Without ``overwrite`` the name is claimed with a
    hard link: of two exports to one new name, one succeeds and the other gets "already exists"."""
    publish_temp_file(candidate, path, overwrite)
    try:
        write_sidecar(path, meta)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    write_model_card(path, model_document(meta))


def prepare_output(path: Path) -> None:
    """Before any export work: the folder of ``path`` must take a file, and temporary files a killed export left
    there (SIGKILL, power loss) are removed.

    Raises:
        UserError: naming ``path``, when nothing can be written there.
    """
    check_writable(path.parent, str(path))
    remove_stale_partials(path.parent, {path.name, sidecar_path(path).name, card_path(path).name})


@contextlib.contextmanager
def writing_output(path: Path) -> Iterator[None]:
    """A failure to write (full disk, permissions) names ``path`` and its cause, not a temporary name."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or type(exc).__name__}); no file written") from None


def synthetic_test_image(height: int = 96, width: int = 80) -> np.ndarray:
    """A smooth colour image with edges, used when no real verification image is given."""
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    red = 0.5 + 0.4 * np.sin(7 * xx + 3 * yy)
    green = 0.5 + 0.4 * np.cos(5 * xx * yy * 4)
    blue = ((xx > 0.4) & (yy < 0.6)).astype(float) * 0.8 + 0.1
    return (np.stack([red, green, blue], axis=2) * 255).round().astype(np.uint8)
