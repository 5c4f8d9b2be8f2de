"""Cost of the real-world degradations in a training step, and which JPEG codec to use, measured in one run.

    python benchmarks/degradation_speed.py [--batch 16] [--hr-size 128] [--repeats 5]

Times one SR training step (the embedded default's architecture, forward + backward + Adam) with bicubic LR and
with ``--degradation realistic`` (libjpeg and kornia JPEG), and the share of the step the degradations take.
Then compares kornia's differentiable JPEG with libjpeg (Pillow) on real crops: PSNR between the two codecs'
outputs, each against the input, and the 8x8 blockiness ratio (mean step across block borders / inside blocks).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_time, matmul_gflops  # noqa: E402
from common.degrade.config import DegradationConfig  # noqa: E402
from common.degrade.second_order import degrade, jpeg_kornia, jpeg_libjpeg  # noqa: E402
from common.metrics.sr_protocol import psnr  # noqa: E402
from superres.models import SRResNet, lr_shuffle_config  # noqa: E402
from superres.step import make_lr  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sr" / "train" / "BSDS400"


def crops(batch: int, size: int) -> torch.Tensor:
    if DATA.is_dir():
        from superres.data import SRTrainDataset

        dataset = SRTrainDataset(DATA, size, 0)
        return torch.stack([dataset[i] for i in range(batch)])
    return (torch.rand(batch, 3, size, size) * 255).to(torch.uint8)


def blockiness(images: torch.Tensor) -> float:
    steps = (images[..., :, 1:] - images[..., :, :-1]).abs().mean(dim=(0, 1, 2))
    return float(steps[7::8].mean() / torch.cat([steps[i::8] for i in range(7)]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--hr-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    hr = crops(args.batch, args.hr_size)
    model = SRResNet(lr_shuffle_config(4, num_blocks=8, channels=64))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    ids = list(range(args.batch))
    pairs = {
        "bicubic": lambda: make_lr(hr, 4),
        "realistic, libjpeg": lambda: degrade(hr.float() / 255, 4, DegradationConfig(jpeg_codec="libjpeg"), ids),
        "realistic, kornia JPEG": lambda: degrade(hr.float() / 255, 4, DegradationConfig(jpeg_codec="kornia"), ids),
    }

    def step(make_pair) -> None:
        lr, target = make_pair()
        loss = F.l1_loss(model(lr), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    peak = matmul_gflops(args.repeats)
    print(f"batch {args.batch} x {args.hr_size} px HR, x4; threads {torch.get_num_threads()}; 2048^2 matmul {peak:.0f} GFLOP/s\n")
    print("| LR made by | making the pair, s | whole step, s | steps/s | share of the step |\n|---|---|---|---|---|")
    for name, make_pair in pairs.items():
        alone = best_time(make_pair, args.repeats)
        whole = best_time(lambda: step(make_pair), args.repeats)
        print(f"| {name} | {alone:.3f} | {whole:.3f} | {1 / whole:.2f} | {100 * alone / whole:.0f}% |")

    images = hr.float() / 255
    print("\n| quality | kornia vs libjpeg PSNR, dB | libjpeg vs input | kornia vs input | blockiness libjpeg | blockiness kornia |")
    print("|---|---|---|---|---|---|")
    for quality in (30, 60, 90):
        q = torch.full((len(images),), float(quality))
        real, approx = jpeg_libjpeg(images, q), jpeg_kornia(images, q)
        print(f"| {quality} | {float(psnr(approx, real, 1.0).mean()):.2f} | {float(psnr(real, images, 1.0).mean()):.2f} | {float(psnr(approx, images, 1.0).mean()):.2f} "
              f"| {blockiness(real):.2f} | {blockiness(approx):.2f} |")


if __name__ == "__main__":
    main()
