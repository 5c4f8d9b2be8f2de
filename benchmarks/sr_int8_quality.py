"""Set5/Set14 Y-PSNR of the ONNX exports of an SR model (fp32 and int8) against PyTorch, by the protocol.

    python benchmarks/sr_int8_quality.py [--model default] [--calib ../shared/data/sr/train/BSDS400]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="default | clean | any model superres eval takes")
    parser.add_argument("--degraded", action="store_true", help="evaluate on the seeded real-world recipe (superres eval --degraded)")
    parser.add_argument("--calib", default=str(SHARED / "train" / "BSDS400"))
    args = parser.parse_args()

    from superres.data import load_eval_set
    from superres.evaluate import evaluate, mean_scores, torch_model_upscaler
    from export.int8_choice import Int8Policy
    from superres.onnx import export_sr_model
    from superres.pretrained import load_sr_model
    from superres.upscaler import Upscaler

    model, _ = load_sr_model(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        export_sr_model(args.model, Path(tmp) / "fp32.onnx")
        export_sr_model(args.model, Path(tmp) / "int8.onnx", int8_calibration=args.calib, int8_policy=Int8Policy(keep=True))  # the int8 graph itself, measured
        engines = {
            "PyTorch fp32": torch_model_upscaler(model, torch.device("cpu")),
            "onnxruntime fp32": Upscaler.from_onnx(Path(tmp) / "fp32.onnx", device="cpu", tile=0),
            "onnxruntime int8": Upscaler.from_onnx(Path(tmp) / "int8.onnx", device="cpu", tile=0),
        }
        if args.model in ("default", "clean"):
            from export.onnx_upscaler import OnnxUpscaler
            from superres.weights import int8_path

            engines["shipped int8 (CPU default of superres upscale)"] = OnnxUpscaler(int8_path(args.model), device="cpu", tile=0)
        print("| set | engine | Y-PSNR | SSIM | vs PyTorch |")
        print("|---|---|---|---|---|")
        for name in ("Set5", "Set14"):
            pairs = load_eval_set(SHARED / name, model.config.scale, args.degraded)
            base = None
            for engine_name, engine in engines.items():
                if hasattr(engine, "upscale_array"):
                    function = lambda lr, e=engine: torch.from_numpy(e.upscale_array(lr[0].permute(1, 2, 0).numpy())).permute(2, 0, 1)[None]
                else:
                    function = engine
                means = mean_scores(evaluate(function, pairs, model.config.scale))
                base = means["psnr"] if base is None else base
                print(f"| {name} | {engine_name} | {means['psnr']:.3f} | {means['ssim']:.4f} | {means['psnr'] - base:+.3f} dB |")


if __name__ == "__main__":
    main()
