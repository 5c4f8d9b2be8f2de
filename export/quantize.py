"""Static int8 quantisation (QDQ, per-channel weights) for CPU deployment, calibrated on real images."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import onnx

from common.core.errors import UserError
from common.io.images import list_images, read_rgb8
from export.model_document import calibration_record
from export.int8_choice import Int8Policy, int8_fallback_reason, time_graphs


class _ImageCalibrationReader:
    """Feeds (1, 3, S, S) crops in the model's input range to onnxruntime's calibrator."""

    def __init__(self, crops: list[np.ndarray], input_name: str):
        self._iterator: Iterator[dict[str, np.ndarray]] = iter({input_name: crop} for crop in crops)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._iterator, None)


CALIBRATION_CROP, CALIBRATION_COUNT = 64, 32


def calibration_images(folder: str | os.PathLike, count: int) -> list[str]:
    """The images of ``folder`` that calibration reads: the first ``count`` in name order.

    Raises:
        UserError: no folder or no image in it.
    """
    paths = list_images([folder]) if Path(folder).is_dir() else []
    if not paths:
        raise UserError(f"{folder}: calibration folder not found or holds no image")
    return paths[:count]


def calibration_crops(folder: str | os.PathLike, crop: int, count: int, input_range: tuple[float, float], multiple_of: int = 1, seed: int = 0) -> list[np.ndarray]:
    """Centre-ish random crops from the images of ``folder`` (raises UserError if none is usable)."""
    paths = calibration_images(folder, count)
    rng = np.random.default_rng(seed)
    crop = crop // multiple_of * multiple_of
    low, high = input_range
    crops = []
    for index in range(count):
        pixels = read_rgb8(paths[index % len(paths)])  # fewer images than crops: the same images, new crops
        if min(pixels.shape[:2]) < crop:
            continue
        top = int(rng.integers(0, pixels.shape[0] - crop + 1))
        left = int(rng.integers(0, pixels.shape[1] - crop + 1))
        patch = pixels[top : top + crop, left : left + crop].astype(np.float32) / 255.0
        crops.append((patch.transpose(2, 0, 1)[None] * (high - low) + low).astype(np.float32))
    if not crops:
        raise UserError(f"{folder}: no calibration image is at least {crop}x{crop}")
    return crops


INT8_MIN_PSNR = 30.0  # dB against PyTorch fp32, in 8-bit levels of the output range


@dataclass(frozen=True)
class Int8Report:
    """int8 against PyTorch fp32 on the real image: worst 8-bit level difference and PSNR (dB)."""

    max_level_diff: int
    psnr: float
    fp32_worst: float
    precision: str = "int8"  # "fp32" when the int8 graph missed the policy's bars
    fallback: str = ""  # why, as written to the metadata's ``int8_fallback``

    @property
    def worst(self) -> float:  # the fp32 graph's max |diff|, as VerificationReport.worst
        return self.fp32_worst


def int8_agreement(path: Path, module, image: np.ndarray, input_range: tuple[float, float], multiple_of: int) -> tuple[int, float]:
    """(max 8-bit level difference, PSNR in dB) of the int8 file against ``module`` in fp32 on ``image``."""
    import onnxruntime as ort
    import torch

    crop = image[: image.shape[0] // multiple_of * multiple_of, : image.shape[1] // multiple_of * multiple_of, :3]
    low, high = input_range
    batch = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float() / 255 * (high - low) + low
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    actual = session.run(None, {session.get_inputs()[0].name: batch.numpy()})[0]
    with torch.no_grad():
        expected = module(batch).numpy()
    levels = [np.round(np.clip((x - low) / (high - low), 0, 1) * 255) for x in (actual, expected)]
    mse = float(np.mean((levels[0] - levels[1]) ** 2))
    return int(np.abs(levels[0] - levels[1]).max()), (float("inf") if mse == 0 else 10 * np.log10(255**2 / mse))


def export_int8(module, output: Path, metadata: dict[str, str], calibration_dir: str | os.PathLike, opset: int = 18,
                input_range: tuple[float, float] = (0.0, 1.0), multiple_of: int = 1, real_image: np.ndarray | None = None,
                overwrite: bool = False, policy: Int8Policy = Int8Policy(), op_types: tuple[str, ...] | None = None) -> Int8Report:
    """Export ``module`` to a verified fp32 graph, quantise it to int8 on crops of ``calibration_dir``, check the
    int8 graph (spec-valid, unused opsets dropped, PSNR against PyTorch fp32 on the real image at least
    :data:`INT8_MIN_PSNR`) and write ``output`` atomically.

    When the int8 graph misses ``policy`` (too many levels off fp32, or not faster than fp32 on this CPU), the
    verified fp32 graph is written instead, its metadata saying why (``int8_fallback``); the report says so too.
    ``op_types`` limits quantisation to those op types (:func:`quantize_int8`).

    Raises:
        UserError: calibration folder empty or too small; ExportVerificationError: a graph disagrees.
    """
    from export.float_image_path import keep_image_path_in_float
    from export.graph_tidy import drop_unused_opsets
    from export.onnx_export import (
        ExportVerificationError, check_opset, export_onnx, finish_graph, prepare_output, publish_with_sidecar, save_onnx_atomic,
        synthetic_test_image, writing_output,
    )

    check_opset(opset)
    if output.exists() and not overwrite:
        raise UserError(f"{output}: already exists (pass --overwrite to replace it)")
    prepare_output(output)
    with writing_output(output), tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.", suffix=".partial") as tmp:
        fp32_path = Path(tmp) / "fp32.onnx"
        report = export_onnx(module, fp32_path, metadata, input_range=input_range, multiple_of=multiple_of, opset=opset, real_image=real_image)
        int8_path = Path(tmp) / "int8.onnx"
        quantize_int8(fp32_path, int8_path, calibration_crops(calibration_dir, CALIBRATION_CROP, CALIBRATION_COUNT, input_range, multiple_of),
                      op_types=op_types)
        record = calibration_record([Path(path) for path in calibration_images(calibration_dir, CALIBRATION_COUNT)])
        record.update(crop=CALIBRATION_CROP, crops=CALIBRATION_COUNT, seed=0)
        quantized = onnx.load(str(int8_path))
        keep_image_path_in_float(quantized)  # 16-bit images keep their depth; measured no slower
        quantized = drop_unused_opsets(quantized)
        meta = finish_graph(quantized, {**metadata, "calibration": json.dumps(record)}, "int8", multiple_of, output)
        onnx.save_model(quantized, str(int8_path))
        image = real_image if real_image is not None else synthetic_test_image()
        max_level, psnr = int8_agreement(int8_path, module, image, input_range, multiple_of)
        fallback = int8_fallback_reason(max_level, None, None, policy, psnr)
        if not fallback and not policy.keep:
            int8_seconds, fp32_seconds = time_graphs([int8_path, fp32_path], input_range, multiple_of)
            fallback = int8_fallback_reason(max_level, int8_seconds, fp32_seconds, policy, psnr)
        if psnr < INT8_MIN_PSNR and not fallback:
            raise ExportVerificationError(f"{output}: int8 is {psnr:.1f} dB from PyTorch fp32 (max {max_level} levels), below {INT8_MIN_PSNR} dB; no file written")
        if fallback:
            quantized = onnx.load(str(fp32_path))
            meta = finish_graph(quantized, {**metadata, "int8_fallback": fallback}, "fp32", multiple_of, output)
        candidate = Path(tmp) / output.name
        save_onnx_atomic(quantized, candidate)
        publish_with_sidecar(candidate, output, meta, overwrite)
    return Int8Report(max_level, psnr, report.worst, "fp32" if fallback else "int8", fallback)


def log_int8_report(output: Path, calibration_dir: str | os.PathLike, report: Int8Report) -> None:
    """One line saying what an ``--int8`` export wrote, and how close int8 came to fp32."""
    from common.core.console import log

    measured = f"int8 against PyTorch fp32: {report.psnr:.1f} dB, max {report.max_level_diff} levels"
    if report.fallback:
        log(f"{output}: fp32 written instead of int8 ({report.fallback}; --int8-keep keeps int8); {measured}")
    else:
        log(f"{output}: int8 (calibrated on {calibration_dir}); fp32 graph verified, max |diff| {report.fp32_worst:.2e}; {measured}")


def quantize_int8(fp32_path: Path, out_path: Path, crops: list[np.ndarray], keep_fp32_ends: bool = True,
                  op_types: tuple[str, ...] | None = None) -> None:
    """Write a QDQ int8 model of ``fp32_path`` to ``out_path``.

    ``keep_fp32_ends`` leaves the first and last conv in fp32: they hold the image-range signal where 8 bits
    cost the most PSNR, for a small share of the compute. ``op_types`` (None: every op onnxruntime can quantise)
    limits quantisation to those op types, the rest staying fp32 between them.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model = onnx.load(str(fp32_path))
    convs = [node.name for node in model.graph.node if node.op_type == "Conv"]
    exclude = [convs[0], convs[-1]] if keep_fp32_ends and len(convs) > 2 else []
    input_name = model.graph.input[0].name
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(out_path), _ImageCalibrationReader(crops, input_name),
            quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=exclude,
            **({"op_types_to_quantize": list(op_types)} if op_types else {}),
        )
