"""The README's picture of the GAN-trained model: `superres compare` grids of degraded photos, stacked.

    python benchmarks/gan_figure.py [-o docs/gan_compare.png] \\
        [--models default,gan@0,gan,../shared/data/released/realesr-general-x4v3.pth]

Each row is one image of Set14 (shown, never chosen on) through the seeded real-world recipe of
`superres eval --degraded`, then `superres compare --reference HR` on its crop: bicubic, the models, the ground
truth, each panel with its PSNR / SSIM / LPIPS on the crop (LPIPS from ../shared/data/weights).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
# (image, crop X,Y,W,H in LR pixels): a saturated colour edge (where the GAN model's zipper shows), stripes on
# grass, a face
ROWS = (("baboon", "30,10,48,48"), ("zebra", "60,40,48,48"), ("face", "20,14,48,48"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "gan_compare.png")
    parser.add_argument("--models", default=f"default,gan@0,gan,{SHARED / 'released' / 'realesr-general-x4v3.pth'}")
    args = parser.parse_args()
    from common.io.images import read_rgb8, write_image
    from superres.cli import main as superres
    from superres.data import load_eval_set

    pairs = {pair.name: pair for pair in load_eval_set(SHARED / "sr" / "Set14", 4, degraded=True)}
    grids = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, crop in ROWS:
            lr, hr, grid = (Path(tmp) / f"{name}_{part}.png" for part in ("lr", "hr", "grid"))
            write_image(lr, pairs[name].lr[0].permute(1, 2, 0).numpy())
            write_image(hr, pairs[name].hr[0].permute(1, 2, 0).numpy())
            code = superres(["compare", str(lr), "--reference", str(hr), "--models", args.models, "--crop", crop, "--device", "cpu",
                             "--lpips-weights", str(SHARED / "weights" / "lpips_v0.1_vgg.pth"),
                             "--vgg-weights", str(SHARED / "weights" / "vgg16_imagenet_features_torchvision_norm.pth"), "-o", str(grid)])
            if code:
                raise SystemExit(code)
            grids.append(read_rgb8(grid))
    width = max(g.shape[1] for g in grids)
    rows = [np.pad(g, ((0, 6), (0, width - g.shape[1]), (0, 0)), constant_values=255) for g in grids]
    write_image(args.output, np.concatenate(rows)[:-6])
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
