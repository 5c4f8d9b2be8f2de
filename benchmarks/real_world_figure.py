"""The README's crops: what each embedded model does with a degraded photo and with a real web JPEG.

    python benchmarks/real_world_figure.py [--out docs/real_world_crops.png]

Top rows: crops of Set14 images degraded by the evaluation recipe (``superres eval --degraded``) through bicubic |
clean model | real-world model (default denoise 0.25) | ground truth. Bottom rows: crops of real compressed JPEGs
from cat2dog's testA (no ground truth) through bicubic | clean | real-world at denoise 0 | at denoise 1.
All crops are shown at the output size (x4), nearest-neighbour for nothing: every cell is a model output.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# (image, LR crop top, left) chosen for texture, edges and flat areas where noise and blocks show.
DEGRADED = [("Set14/monarch.png", 40, 40), ("Set14/zebra.png", 20, 60)]
WEB = [("cat.4001.jpg", 60, 60), ("cat.4003.jpg", 60, 80)]
CROP = 48  # LR pixels; 192 at the output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/real_world_crops.png")
    args = parser.parse_args()
    from common.degrade.matlab_bicubic import imresize, modcrop
    from common.io.images import read_rgb8, write_image
    from superres.degraded_eval import degrade_for_evaluation
    from superres.upscaler import Upscaler

    engines = {
        "clean": Upscaler.from_pretrained("clean", device="cpu", tile=0),
        "real default": Upscaler.from_pretrained("default", device="cpu", tile=0),
        "real 0": Upscaler.from_pretrained("default", denoise=0.0, device="cpu", tile=0),
        "real 1": Upscaler.from_pretrained("default", denoise=1.0, device="cpu", tile=0),
    }

    def bicubic(lr: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
        return (imresize(x, 4.0).clamp(0, 1)[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()

    def cell(image: np.ndarray, top: int, left: int) -> np.ndarray:
        return image[4 * top: 4 * (top + CROP), 4 * left: 4 * (left + CROP)]

    rows = []
    for name, top, left in DEGRADED:
        path = SHARED / "sr" / name
        hr = modcrop(torch.from_numpy(read_rgb8(path)).permute(2, 0, 1)[None], 4)
        lr = degrade_for_evaluation(hr, 4, path.name)[0].permute(1, 2, 0).numpy()
        outputs = [bicubic(lr), engines["clean"](lr), engines["real default"](lr), hr[0].permute(1, 2, 0).numpy()]
        rows.append(np.concatenate([cell(o, top, left) for o in outputs], axis=1))
    for name, top, left in WEB:
        lr = read_rgb8(SHARED / "translate" / "cat2dog" / "testA" / name)
        outputs = [bicubic(lr), engines["clean"](lr), engines["real 0"](lr), engines["real 1"](lr)]
        rows.append(np.concatenate([cell(o, top, left) for o in outputs], axis=1))
    write_image(args.out, np.concatenate(rows, axis=0))
    print(f"{args.out}: rows 1-2 degraded Set14 (bicubic | clean | real-world default (denoise 0.25) | ground truth); "
          "rows 3-4 web JPEGs (bicubic | clean | real-world denoise 0 | denoise 1)")


if __name__ == "__main__":
    main()
