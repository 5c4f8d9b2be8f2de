"""The embedded models on degraded and on clean Set5/Set14: the README's quality table in one command.

    python benchmarks/real_world_eval.py [--denoise 0 0.5 1] [--json out.json]

Rows: bicubic, the clean model, the real-world model at each denoise strength (fp32 torch) and the shipped int8
file `superres upscale` runs on a CPU. Columns: Y-PSNR / SSIM by the SR protocol, with the LR made by the seeded
real-world recipe (`superres eval --degraded`, docs/real_world_model.md) and by clean MATLAB bicubic.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--denoise", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    parser.add_argument("--json")
    args = parser.parse_args()
    from export.onnx_upscaler import OnnxUpscaler
    from superres.data import load_eval_set
    from superres.evaluate import bicubic_upscale, evaluate, mean_scores, torch_model_upscaler
    from superres.pretrained import load_sr_model
    from superres.weights import int8_path

    cpu = torch.device("cpu")
    engines = {"bicubic": lambda lr: bicubic_upscale(lr, 4), "clean model": torch_model_upscaler(load_sr_model("clean")[0], cpu)}
    for strength in args.denoise:
        engines[f"real-world, denoise {strength:g}"] = torch_model_upscaler(load_sr_model("default", denoise=strength)[0], cpu)
    int8 = OnnxUpscaler(int8_path("default"), device="cpu", tile=0)
    engines["real-world, shipped int8 (CPU default)"] = (
        lambda lr: torch.from_numpy(int8.upscale_array(lr[0].permute(1, 2, 0).numpy())).permute(2, 0, 1)[None])
    columns = [(name, degraded) for degraded in (True, False) for name in ("Set5", "Set14")]
    sets = {column: load_eval_set(SHARED / column[0], 4, degraded=column[1]) for column in columns}
    results: dict[str, dict[str, list[float]]] = {}
    for engine_name, engine in engines.items():
        results[engine_name] = {}
        for (name, degraded), pairs in sets.items():
            means = mean_scores(evaluate(engine, pairs, 4))
            results[engine_name][f"{name} {'degraded' if degraded else 'clean'}"] = [means["psnr"], means["ssim"]]
    headers = list(next(iter(results.values())))
    print("| x4, Y-PSNR / SSIM | " + " | ".join(headers) + " |")
    print("|---|" + "---|" * len(headers))
    for engine_name, row in results.items():
        print(f"| {engine_name} | " + " | ".join(f"{p:.2f} / {s:.4f}" for p, s in row.values()) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
