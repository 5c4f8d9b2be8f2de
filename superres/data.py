"""Super-resolution training and validation data.

Training samples are random HR crops with flips and 90-degree rotations (albumentations, seeded per sample id so
the data order is reproducible and resumable). LR images are made on the fly by the trainer with the same
MATLAB-style bicubic as the metric, so the HR/LR pair is consistent by construction.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

from common.core.console import log
from common.core.errors import UserError
from common.degrade.matlab_bicubic import imresize_uint8, modcrop
from common.io.images import list_images, read_rgb8
from superres.degraded_eval import degrade_for_evaluation


def load_image_folder(folder: str | Path, min_size: int) -> tuple[list[Path], list[np.ndarray]]:
    """Decode every readable image of ``folder`` at least ``min_size`` on each side (others reported and skipped).

    Raises:
        UserError: the folder is missing or holds no usable image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: training folder not found")
    paths, images = [], []
    for path in list_images([folder]):
        try:
            pixels = read_rgb8(path)
        except UserError as exc:
            log(f"[yellow]skipped[/] {exc}")
            continue
        if min(pixels.shape[:2]) < min_size:
            log(f"[yellow]skipped[/] {path}: {pixels.shape[1]}x{pixels.shape[0]} is smaller than the {min_size}px crop")
            continue
        paths.append(path)
        images.append(pixels)
    if not images:
        raise UserError(f"{folder}: no readable image of at least {min_size}x{min_size} pixels")
    return paths, images


class SRTrainDataset(Dataset):
    """Random HR crops. Index = sample id (any non-negative int); returns (3, S, S) uint8 HR tensors.

    Args:
        folder: HR training images.
        hr_size: crop size (a multiple of the scale).
        seed: run seed; sample ``i`` depends only on (seed, i).
    """

    def __init__(self, folder: str | Path, hr_size: int, seed: int = 0):
        self.paths, self.images = load_image_folder(folder, hr_size)
        self.seed = seed
        self.augment = A.Compose(
            [A.RandomCrop(hr_size, hr_size), A.HorizontalFlip(p=0.5), A.RandomRotate90(p=1.0)], strict=True
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, sample_id: int) -> torch.Tensor:
        rng = np.random.default_rng([self.seed, sample_id])
        image = self.images[int(rng.integers(len(self.images)))]
        self.augment.set_random_seed(int(rng.integers(2**31)))
        crop = self.augment(image=image)["image"]
        return torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)


@dataclass
class EvalImage:
    """One evaluation pair by the protocol: HR modcropped, LR by MATLAB bicubic; (1, 3, H, W) uint8 tensors."""

    name: str
    hr: torch.Tensor
    lr: torch.Tensor


def load_eval_set(folder: str | Path, scale: int, degraded: bool = False) -> list[EvalImage]:
    """Load an SR evaluation folder (e.g. Set5) as protocol pairs; with ``degraded``, the LR images follow the
    seeded real-world recipe of :mod:`superres.degraded_eval` instead of clean bicubic.

    Raises:
        UserError: missing folder or no readable image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: evaluation folder not found")
    pairs = []
    for path in list_images([folder]):
        hr = modcrop(torch.from_numpy(read_rgb8(path)).permute(2, 0, 1)[None], scale)
        if min(hr.shape[-2:]) < 2 * scale:
            raise UserError(f"{path}: too small for x{scale} evaluation")
        lr = degrade_for_evaluation(hr, scale, path.name) if degraded else imresize_uint8(hr, 1.0 / scale)
        pairs.append(EvalImage(path.stem, hr, lr))
    if not pairs:
        raise UserError(f"{folder}: no image found")
    return pairs
