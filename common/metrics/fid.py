"""FID and KID between two image sets, as pure functions on features, and the Inception feature extractor.

Protocol (documented so figures are comparable): torchvision's Inception-v3 ImageNet weights
(``inception_v3_google-0cc3c7bd.pth``), 2048-d pool features, images resized to 299x299 (bilinear, antialiased)
and ImageNet-normalised; FID = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2) in float64; KID = unbiased MMD^2
with the cubic kernel (x.y / d + 1)^3, averaged over 100 random subsets of min(1000, n) images. These values
are comparable with each other, not with pytorch-fid's TF-Inception numbers in papers.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F

from common.core.errors import UserError

INCEPTION_FILENAME = "inception_v3_google-0cc3c7bd.pth"
FeatureExtractor = Callable[[torch.Tensor], torch.Tensor]


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID of two (N, D) feature arrays (N >= 2)."""
    a, b = features_a.astype(np.float64), features_b.astype(np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((S_a S_b)^1/2) = sum of sqrt of the eigenvalues of S_a S_b, which are real and >= 0 (up to rounding).
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b)
    trace_sqrt = np.sqrt(np.clip(eigenvalues.real, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def kernel_inception_distance(features_a: np.ndarray, features_b: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID (mean, std over subsets) of two (N, D) feature arrays: unbiased MMD^2, cubic polynomial kernel."""
    rng = np.random.default_rng(seed)
    size = min(subset_size, len(features_a), len(features_b))
    if size < 2:
        raise ValueError("KID needs at least 2 images per set")
    dim = features_a.shape[1]
    values = []
    for _ in range(subsets):
        x = features_a[rng.choice(len(features_a), size, replace=False)].astype(np.float64)
        y = features_b[rng.choice(len(features_b), size, replace=False)].astype(np.float64)
        k_xx, k_yy, k_xy = (x @ x.T / dim + 1) ** 3, (y @ y.T / dim + 1) ** 3, (x @ y.T / dim + 1) ** 3
        off = size * (size - 1)
        values.append((k_xx.sum() - np.trace(k_xx)) / off + (k_yy.sum() - np.trace(k_yy)) / off - 2 * k_xy.mean())
    return float(np.mean(values)), float(np.std(values))


def inception_extractor(weights_path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> FeatureExtractor:
    """(B, 3, H, W) in [0, 1] -> (B, 2048) Inception pool features.

    Raises:
        UserError: the weights file is absent (this never downloads).
    """
    import torchvision

    path = Path(weights_path) if weights_path else Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILENAME
    if not path.is_file():
        raise UserError(
            f"{path}: Inception-v3 weights not found (needed for FID/KID). On a machine with internet run "
            "`python -c \"import torchvision; torchvision.models.inception_v3(weights='IMAGENET1K_V1')\"` and copy "
            f"~/.cache/torch/hub/checkpoints/{INCEPTION_FILENAME} here, or pass --inception-weights PATH"
        )
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=False)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.fc = torch.nn.Identity()
    model.eval().to(device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def extract(images: torch.Tensor) -> torch.Tensor:
        images = F.interpolate(images.to(device), size=(299, 299), mode="bilinear", antialias=True, align_corners=False)
        return model((images - mean) / std)

    return extract


def features_of(images: Iterable[np.ndarray], extractor: FeatureExtractor, batch_size: int = 16) -> np.ndarray:
    """Features of (H, W, 3) uint8 images, each resized by the extractor."""
    batch, features = [], []
    for pixels in images:
        batch.append(torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).float() / 255)
        if len(batch) == batch_size:
            features.append(torch.cat([extractor(image[None]) for image in batch]).cpu().numpy())
            batch = []
    if batch:
        features.append(torch.cat([extractor(image[None]) for image in batch]).cpu().numpy())
    if not features:
        raise UserError("no images to evaluate")
    return np.concatenate(features)
