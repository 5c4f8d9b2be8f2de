"""int8 CycleGAN exports against fp32 on real photos: does `translate export --int8` keep the translation?

    python benchmarks/cyclegan_int8.py RUN_OR_GENERATOR --direction A2B [--task grade] [--json OUT]

Exports the generator to fp32 and to int8 (`--int8-keep`, calibrated on BSDS400's first 180 images, the
task's domain A), runs both through the ONNX CLI engine on the 40 held-out BSDS400 photos at full size
(481x321) and reports, per precision, PSNR against the task's hidden transform T(x) (the answer), PSNR of int8
against fp32, and the max 8-bit difference. Also says which op types the int8 graph quantised.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cyclegan_hidden_transform import BSDS, psnr  # noqa: E402
from benchmarks.cyclegan_presets import TASKS  # noqa: E402


def quantised_ops(path: Path) -> dict[str, int]:
    """Op types fed by a DequantizeLinear (what runs on int8 values), counted."""
    import onnx

    graph = onnx.load(str(path)).graph
    dequantised = {node.output[0] for node in graph.node if node.op_type == "DequantizeLinear"}
    return dict(Counter(node.op_type for node in graph.node if node.op_type not in ("QuantizeLinear", "DequantizeLinear")
                        and any(name in dequantised for name in node.input)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a translate run folder, or a generator .safetensors")
    parser.add_argument("--direction", default=None)
    parser.add_argument("--task", choices=sorted(TASKS), default="grade")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--all-ops", action="store_true", help="quantise every op onnxruntime can (the export before int8 was limited to convolutions)")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.all_ops:
        import translate.onnx

        translate.onnx.INT8_OP_TYPES = None
    from common.io.images import list_images, read_rgb8
    from export.int8_choice import Int8Policy
    from export.onnx_translator import OnnxTranslator
    from translate.onnx import export_translate_model

    paths = list_images([BSDS])
    with tempfile.TemporaryDirectory() as tmp:
        calibration = Path(tmp) / "calibration"
        calibration.mkdir()
        for path in paths[:180]:
            (calibration / path.name).symlink_to(path)
        export_translate_model(args.run, args.direction, Path(tmp) / "fp32.onnx")
        export_translate_model(args.run, args.direction, Path(tmp) / "int8.onnx", int8_calibration=str(calibration),
                               int8_policy=Int8Policy(keep=True), verify_image=str(paths[180]))  # a real photo, not in the test set
        engines = {name: OnnxTranslator(Path(tmp) / f"{name}.onnx", device="cpu") for name in ("fp32", "int8")}
        rows = []
        for path in paths[-args.images:]:
            image = read_rgb8(path)
            answer = TASKS[args.task](image)
            out = {name: engine.translate_array(image) for name, engine in engines.items()}
            rows.append({"fp32_vs_answer": psnr(out["fp32"], answer), "int8_vs_answer": psnr(out["int8"], answer),
                         "int8_vs_fp32": psnr(out["int8"], out["fp32"]),
                         "max_levels": int(np.abs(out["int8"].astype(int) - out["fp32"].astype(int)).max())})
        ops = quantised_ops(Path(tmp) / "int8.onnx")
    summary = {key: float(np.mean([row[key] for row in rows])) for key in ("fp32_vs_answer", "int8_vs_answer", "int8_vs_fp32")}
    summary.update(max_levels=max(row["max_levels"] for row in rows), images=len(rows), size=f"{image.shape[1]}x{image.shape[0]}",
                   task=args.task, run=str(args.run), quantised_ops=ops, all_ops=args.all_ops)
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
