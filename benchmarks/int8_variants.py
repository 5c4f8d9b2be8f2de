"""Accuracy and speed of int8 quantisation variants of one SR network, against fp32 PyTorch on a real photo.

    python benchmarks/int8_variants.py [--model compact|default|clean|rrdbnet]

Each variant is onnxruntime's static QDQ quantisation (per-channel int8 weights, uint8 activations) with one
thing changed: the calibration method or size, which convs stay fp32, the weight type. The photo and the
networks are those of ``benchmarks/peer_loop_speed.py`` (``compact`` is the real realesr-general-x4v3 when
../shared/data is present). Prints the max 8-bit level difference, PSNR and one whole-image run's seconds.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peer_loop_speed import BSDS, build_model, calibration_folder, level_agreement, test_photo  # noqa: E402


def quantise(prepared: Path, out: Path, crops: list[np.ndarray], exclude: list[str], method: str = "MinMax",
             reduce_range: bool = False, weight_type: str = "QInt8") -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from export.quantize import _ImageCalibrationReader

    quantize_static(str(prepared), str(out), _ImageCalibrationReader(crops, "image"), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=getattr(QuantType, weight_type), reduce_range=reduce_range,
                    calibrate_method=getattr(CalibrationMethod, method), nodes_to_exclude=exclude)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="compact", choices=["default", "clean", "compact", "rrdbnet"])
    args = parser.parse_args()
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from export.onnx_export import export_onnx
    from export.quantize import calibration_crops

    model = build_model(args.model, 6)[0].eval()
    photo = test_photo()
    x = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        reference = (model(x).clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255).round()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fp32, prepared = tmp / "fp32.onnx", tmp / "prepared.onnx"
        meta = {"task": "superres", "kind": args.model, "scale": str(model.config.scale), "input_range": "0,1", "output_range": "0,1"}
        export_onnx(model, fp32, meta, multiple_of=model.multiple_of)
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        convs = [node.name for node in onnx.load(str(fp32)).graph.node if node.op_type == "Conv"]
        folder = BSDS if BSDS.is_dir() else calibration_folder(tmp)
        crops = calibration_crops(folder, 64, 32, (0.0, 1.0), model.multiple_of)
        ends = [convs[0], convs[-1]]
        variants = {
            "shipped recipe (MinMax, 32 crops of 64, first and last conv fp32)": dict(exclude=ends),
            "Percentile calibration": dict(exclude=ends, method="Percentile"),
            "Entropy calibration": dict(exclude=ends, method="Entropy"),
            "64 crops of 128": dict(exclude=ends, crops=calibration_crops(folder, 128, 64, (0.0, 1.0), model.multiple_of)),
            "last 4 convs fp32": dict(exclude=[convs[0]] + convs[-4:]),
            "first 4 convs fp32": dict(exclude=convs[:4] + [convs[-1]]),
            "7-bit weights (reduce_range)": dict(exclude=ends, reduce_range=True),
            "uint8 weights": dict(exclude=ends, weight_type="QUInt8"),
        }
        print(f"{args.model}, {photo.shape[1]}x{photo.shape[0]} photo, against fp32 PyTorch\n\n| variant | max levels | PSNR | s |\n|---|---|---|---|")
        for index, (label, options) in enumerate(variants.items()):
            out = tmp / f"int8_{index}.onnx"
            quantise(prepared, out, options.pop("crops", crops), **options)
            session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
            start = time.perf_counter()
            output = session.run(None, {"image": x.numpy()})[0]
            seconds = time.perf_counter() - start
            levels, psnr = level_agreement((np.clip(output[0], 0, 1).transpose(1, 2, 0) * 255).round(), reference)
            print(f"| {label} | {levels} | {psnr:.1f} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
