"""Unpaired two-domain data, folder layouts, and the reference preprocessing (resize 286, crop 256, flip)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

from common.core.console import escape, log
from common.core.errors import UserError
from common.io.images import list_images, read_rgb8


def readable_images(folder: Path) -> list[Path]:
    """The images of ``folder`` that decode; each one that does not is reported on one line and left out, so
    one corrupt file never stops a run (the list is fixed at start-up, keeping the data order resumable).

    Raises:
        UserError: no readable image in the folder.
    """
    paths = []
    for path in list_images([folder]):
        try:
            read_rgb8(path)
        except UserError as exc:
            log(f"[yellow]skipped[/] {escape(str(exc))}")
            continue
        paths.append(path)
    if not paths:
        raise UserError(f"{folder}: domain folder holds no readable image")
    return paths


@dataclass(frozen=True)
class DomainFolders:
    train_a: Path
    train_b: Path
    test_a: Path | None
    test_b: Path | None


def find_domain_folders(root: str | Path, domain_a: str, domain_b: str) -> DomainFolders:
    """Resolve ``root/<a>``, ``root/train/<a>`` or the classic ``root/trainA`` (with ``--domains A B``).

    Raises:
        UserError: a domain folder is missing or holds no image.
    """
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: data folder not found")

    def locate(domain: str) -> tuple[Path, Path | None]:
        for train, test in ((root / "train" / domain, root / "test" / domain), (root / f"train{domain}", root / f"test{domain}"), (root / domain, None)):
            if train.is_dir():
                return train, test if test is not None and test.is_dir() else None
        raise UserError(f"{root}: no folder for domain {domain!r} (looked for {domain}/, train/{domain}/ and train{domain}/)")

    (train_a, test_a), (train_b, test_b) = locate(domain_a), locate(domain_b)
    for folder in (train_a, train_b):
        if not list_images([folder]):
            raise UserError(f"{folder}: domain folder holds no image")
    return DomainFolders(train_a, train_b, test_a, test_b)


def build_transform(load_size: int, crop_size: int, flip: bool, preprocess: str) -> A.Compose:
    """``resize_and_crop`` (reference default: squash to load_size, random crop), ``crop`` or ``none`` (full
    resolution, cropped down to a multiple of 4)."""
    steps: list = []
    if preprocess == "resize_and_crop":
        steps += [A.Resize(load_size, load_size), A.RandomCrop(crop_size, crop_size)]
    elif preprocess == "crop":
        steps += [A.PadIfNeeded(crop_size, crop_size), A.RandomCrop(crop_size, crop_size)]
    elif preprocess != "none":
        raise UserError(f"--preprocess {preprocess}: expected resize_and_crop, crop or none")
    if flip:
        steps.append(A.HorizontalFlip(p=0.5))
    return A.Compose(steps, strict=True)


def to_model_range(pixels: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).float() / 127.5 - 1.0


class UnpairedDataset(Dataset):
    """Sample id -> {"a", "b"} tensors in [-1, 1].

    The epoch is ``max(|A|, |B|)`` long; A is visited in a fresh permutation every epoch and B drawn at random,
    as the reference does. Everything depends only on (seed, id), so data order survives resumes and any number
    of workers (albumentations is reseeded per sample, not per worker).
    """

    def __init__(self, folder_a: Path, folder_b: Path, load_size: int = 286, crop_size: int = 256, flip: bool = True,
                 preprocess: str = "resize_and_crop", seed: int = 0):
        self.paths_a, self.paths_b = readable_images(folder_a), readable_images(folder_b)
        self.epoch_length = max(len(self.paths_a), len(self.paths_b))
        self.transform = build_transform(load_size, crop_size, flip, preprocess)
        self.seed = seed
        self.description = f"data: {len(self.paths_a)} {folder_a.name} and {len(self.paths_b)} {folder_b.name} training images"

    def __len__(self) -> int:
        return self.epoch_length

    def _load(self, path: Path, rng: np.random.Generator) -> torch.Tensor:
        self.transform.set_random_seed(int(rng.integers(2**31)))
        pixels = self.transform(image=self._read(path))["image"]
        height, width = pixels.shape[0] // 4 * 4, pixels.shape[1] // 4 * 4
        return to_model_range(pixels[:height, :width])

    def _read(self, path: Path) -> np.ndarray:
        """Decode ``path``; a file that broke after start-up is replaced by the next readable one of its domain
        (a pure function of the file list, so resumes stay exact)."""
        paths = self.paths_a if path in self.paths_a else self.paths_b
        start = paths.index(path)
        for offset in range(len(paths)):
            candidate = paths[(start + offset) % len(paths)]
            try:
                return read_rgb8(candidate)
            except UserError as exc:
                log(f"[yellow]skipped[/] {escape(str(exc))}")
        raise UserError(f"{path.parent}: no image of this domain can be read any more")

    def __getitem__(self, sample_id: int) -> dict[str, torch.Tensor]:
        epoch, position = divmod(sample_id, self.epoch_length)
        order = np.random.default_rng([self.seed, epoch, 1]).permutation(self.epoch_length) % len(self.paths_a)
        rng = np.random.default_rng([self.seed, sample_id])
        path_a = self.paths_a[order[position]]
        path_b = self.paths_b[int(rng.integers(len(self.paths_b)))]
        return {"a": self._load(path_a, rng), "b": self._load(path_b, rng)}


def training_data(config) -> dict[str, str]:
    """The ``training_data`` a run's exported generators record: the data folder's name (not its path, which would
    carry the trainer's home directory) and the two domains."""
    a, b = config.domains
    return {"training_data": f"{Path(config.data).name}: {a} and {b}"}
