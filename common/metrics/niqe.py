"""NIQE (Mittal, Soundararajan and Bovik, IEEE SPL 2013): how far an image's local statistics are from those of
pristine natural photos, with no reference image. Lower is more natural. The usual no-reference score of GAN
upscalers (PIRM 2018 used it with Ma's score).

The algorithm follows the official MATLAB release as BasicSR ports it: BT.601 Y rounded to integers, 96 x 96
blocks without overlap, mean-subtracted contrast-normalised coefficients (7 x 7 Gaussian window, sigma 7/6,
replicated borders) at full and half size (MATLAB bicubic with antialiasing), 18 AGGD features per block and
scale, and the Mahalanobis-like distance of their Gaussian fit to the pristine one. The pristine model (36
means, a 36 x 36 covariance, the window) comes from ``--niqe-params PATH`` or the installed ``basicsr`` package's
``basicsr/metrics/niqe_pris_params.npz``.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import convolve
from scipy.special import gamma

from common.core.errors import UserError
from common.degrade.matlab_bicubic import imresize
from common.metrics.reference_files import given_or_packaged

BLOCK = 96
SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))  # neighbour products: horizontal, vertical, two diagonals


def find_niqe_params(path: str | os.PathLike | None = None) -> Path:
    return given_or_packaged(path, "--niqe-params", "NIQE parameters", "basicsr", "metrics/niqe_pris_params.npz",
                             "NIQE needs the pristine model of its MATLAB release: pass --niqe-params PATH to "
                             "niqe_pris_params.npz (inside BasicSR: `pip download basicsr --no-deps`, basicsr/metrics/)")


def load_niqe_params(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu (36,), cov (36, 36), window (7, 7)), shapes checked; read with ``allow_pickle=False``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            mu, cov, window = data["mu_pris_param"], data["cov_pris_param"], data["gaussian_window"]
    except Exception as exc:  # not an npz, or keys missing
        raise UserError(f"{path}: not NIQE parameters ({type(exc).__name__}: {exc})") from None
    if mu.size != 36 or cov.shape != (36, 36) or window.shape != (7, 7):
        raise UserError(f"{path}: NIQE parameters of the wrong shapes {mu.shape}, {cov.shape}, {window.shape}")
    return mu.reshape(36).astype(np.float64), cov.astype(np.float64), window.astype(np.float64)


@functools.cache
def _ratio_table() -> tuple[np.ndarray, np.ndarray]:
    shapes = np.arange(0.2, 10.001, 0.001)
    return shapes, gamma(2 / shapes) ** 2 / (gamma(1 / shapes) * gamma(3 / shapes))


def aggd_fit(values: np.ndarray) -> tuple[float, float, float]:
    """(shape alpha, left scale, right scale) of an asymmetric generalised Gaussian, by moment matching."""
    values = values.ravel()
    left, right = np.sqrt(np.mean(values[values < 0] ** 2)), np.sqrt(np.mean(values[values > 0] ** 2))
    ratio = left / right
    rhat = np.mean(np.abs(values)) ** 2 / np.mean(values ** 2)
    normalised = rhat * (ratio ** 3 + 1) * (ratio + 1) / (ratio ** 2 + 1) ** 2
    shapes, table = _ratio_table()
    alpha = shapes[np.argmin((table - normalised) ** 2)]
    spread = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return float(alpha), float(left * spread), float(right * spread)


def block_features(block: np.ndarray) -> list[float]:
    """The 18 features of one block of normalised coefficients (MATLAB's circular shifts for the products)."""
    alpha, left, right = aggd_fit(block)
    features = [alpha, (left + right) / 2]
    for shift in SHIFTS:
        alpha, left, right = aggd_fit(block * np.roll(block, shift, axis=(0, 1)))
        features += [alpha, (right - left) * gamma(2 / alpha) / gamma(1 / alpha), left, right]
    return features


def niqe_of_luma(luma: np.ndarray, mu: np.ndarray, cov: np.ndarray, window: np.ndarray) -> float:
    """NIQE of an (H, W) luma array in [0, 255] (at least two 96 x 96 blocks after cropping to whole blocks)."""
    rows, cols = luma.shape[0] // BLOCK, luma.shape[1] // BLOCK
    # The score compares the covariance of the image's blocks with the pristine one, so it needs two blocks: with
    # one, numpy's covariance is NaN (the SVD fails, as in BasicSR's port) and MATLAB's nancov returns the row's
    # variance instead, which ranks a blurred crop as more natural than the sharp one.
    if rows * cols < 2:
        raise UserError(f"NIQE needs at least two {BLOCK}x{BLOCK} blocks (an image of {2 * BLOCK}x{BLOCK} pixels or more "
                        f"after the border crop), got {luma.shape[1]}x{luma.shape[0]}")
    image = luma[: rows * BLOCK, : cols * BLOCK].astype(np.float64)
    per_scale = []
    for scale in (1, 2):
        mean = convolve(image, window, mode="nearest")
        std = np.sqrt(np.abs(convolve(image ** 2, window, mode="nearest") - mean ** 2))
        coefficients = (image - mean) / (std + 1)
        size = BLOCK // scale
        per_scale.append(np.array([block_features(coefficients[r * size:(r + 1) * size, c * size:(c + 1) * size])
                                   for c in range(cols) for r in range(rows)]))
        if scale == 1:
            image = imresize(torch.from_numpy(image / 255.0), 0.5).numpy() * 255.0
    features = np.concatenate(per_scale, axis=1)
    sample_mu = np.nanmean(features, axis=0)
    sample_cov = np.cov(features[~np.isnan(features).any(axis=1)], rowvar=False)
    difference = mu - sample_mu
    return float(math.sqrt(difference @ np.linalg.pinv((cov + sample_cov) / 2) @ difference))


def niqe(rgb: np.ndarray, params: tuple[np.ndarray, np.ndarray, np.ndarray], border: int = 0) -> float:
    """NIQE of an (H, W, 3) uint8 RGB image: BT.601 Y, ``border`` pixels cropped, rounded as MATLAB does."""
    pixels = rgb.astype(np.float64) / 255.0
    luma = 16.0 + 65.481 * pixels[..., 0] + 128.553 * pixels[..., 1] + 24.966 * pixels[..., 2]
    if border:
        luma = luma[border:-border, border:-border]
    return niqe_of_luma(luma.round(), *params)
