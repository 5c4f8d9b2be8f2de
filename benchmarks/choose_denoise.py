"""Pick the default `--denoise` on a validation set, never on Set5/Set14 (which only report).

    python benchmarks/choose_denoise.py [--images 40]

Validation: the first ``--images`` dog photos of cat2dog's testB (real JPEGs, in no SR training set), degraded by
the seeded real-world recipe (`superres eval --degraded`). Prints Y-PSNR / SSIM of the real-world model at
denoise 0, 0.25, ..., 1 and of bicubic.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "data" / "translate" / "cat2dog" / "testB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    args = parser.parse_args()
    from common.io.images import list_images
    from superres.data import load_eval_set
    from superres.evaluate import bicubic_upscale, evaluate, mean_scores, torch_model_upscaler
    from superres.pretrained import load_sr_model

    with tempfile.TemporaryDirectory() as tmp:
        for path in list_images([VALIDATION])[: args.images]:
            (Path(tmp) / path.name).symlink_to(path.resolve())
        pairs = load_eval_set(tmp, 4, degraded=True)
    bicubic = mean_scores(evaluate(lambda lr: bicubic_upscale(lr, 4), pairs, 4))
    print(f"{len(pairs)} degraded validation images; bicubic {bicubic['psnr']:.2f} dB / {bicubic['ssim']:.4f}\n")
    print("| denoise | Y-PSNR | SSIM | vs bicubic |\n|---|---|---|---|")
    for strength in (0.0, 0.25, 0.5, 0.75, 1.0):
        model, _ = load_sr_model("default", denoise=strength)
        means = mean_scores(evaluate(torch_model_upscaler(model, torch.device("cpu")), pairs, 4))
        print(f"| {strength:g} | {means['psnr']:.2f} | {means['ssim']:.4f} | {means['psnr'] - bicubic['psnr']:+.2f} dB |")


if __name__ == "__main__":
    main()
