"""Seconds per step of the Real-ESRGAN gan stage on this CPU, at several HR crop sizes and batches.

    python benchmarks/gan_step_cost.py [--threads 2]

The default x4 model from the embedded L1 detail end, the U-Net discriminator, the five-layer VGG16 loss (the
shared weights) and the realistic degradations; 3 timed steps after one warm-up, on the same batch. The cost is
printed per HR pixel, which decides how much a CPU hour buys at each crop size.
"""
from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from common.degrade.config import DegradationConfig
    from common.train.loop import LoopConfig
    from superres.data import SRTrainDataset
    from superres.train import build_sr_step, gan_recipe

    torch.set_num_threads(args.threads)
    for hr, batch_size in ((64, 8), (96, 4), (128, 4)):
        config = gan_recipe(str(SHARED / "sr" / "train" / "BSDS400"), str(ROOT / "superres" / "weights" / "real_x4_detail.safetensors"),
                            hr_size=hr, vgg_weights=str(SHARED / "weights" / "vgg16_imagenet_features_torchvision_norm.pth"),
                            degradation=DegradationConfig())
        step, config = build_sr_step(config, LoopConfig(max_steps=10, batch_size=batch_size, device="cpu"), torch.device("cpu"))
        dataset = SRTrainDataset(config.data, hr, 0)
        batch = torch.stack([dataset[i] for i in range(batch_size)])
        step.run(batch, 0, nullcontext)
        started = time.perf_counter()
        for index in range(3):
            step.run(batch, index + 1, nullcontext)
        seconds = (time.perf_counter() - started) / 3
        print(f"hr {hr} batch {batch_size}: {seconds:.2f} s/step, {seconds / batch_size:.3f} s per crop, "
              f"{seconds / batch_size / hr**2 * 1e6:.1f} us per HR pixel", flush=True)


if __name__ == "__main__":
    main()
