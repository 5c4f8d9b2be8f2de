"""Real-world degradations: the second-order model of Real-ESRGAN (Wang et al. 2021) on batched tensors.

The operations are pure functions on ``(B, C, H, W)`` float images in [0, 1], running on the images' device
(kornia does the per-sample filtering). :func:`degrade` chains them: blur -> resize -> noise -> JPEG, a second
such pass, then the resize to LR size with a final sinc filter and JPEG in random order.

Randomness comes only from ``(seed, sample id)``: each sample's kernel, noise and JPEG quality are drawn from its
own generator, so a resumed run degrades exactly as a straight one would and DDP ranks (different ids) differ.
The resize scales, modes and the final order are drawn once per batch (a batch stays one tensor), from its first
sample id.
"""
from __future__ import annotations

import io
import math

import kornia
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from common.degrade.config import KERNEL_KINDS, RESIZE_MODES, DegradationConfig, DegradationPass
from common.degrade.kernels import gaussian_family_kernels, identity_kernels, sinc_kernels

DEGRADATION_STREAM = 0x6465_6772  # keeps these draws apart from the data loader's, which use the same ids


# ----------------------------------------------------------------------------------------------- operations
def blur(images: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Convolve each sample with its own kernel. images (B, C, H, W); kernels (B, K, K) summing to 1.

    Borders are mirrored; images smaller than the kernel's radius (tiny crops after a strong downscale)
    repeat their edge pixels instead, since a mirror needs more pixels than they have."""
    border = "reflect" if kernels.shape[-1] // 2 < min(images.shape[-2:]) else "replicate"
    return kornia.filters.filter2d(images, kernels.to(images), border_type=border)


def resize(images: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    """Resize to ``size`` (H, W) with ``area``, ``bilinear`` or ``bicubic`` (no antialiasing, as cameras and
    web pipelines often alias); output clamped to [0, 1]."""
    align = None if mode == "area" else False
    return F.interpolate(images, size=size, mode=mode, align_corners=align).clamp(0, 1)


def add_gaussian_noise(images: torch.Tensor, sigma: torch.Tensor, gray: torch.Tensor, generators: list[torch.Generator]) -> torch.Tensor:
    """Add N(0, sigma/255) noise per sample; ``gray`` samples get the same noise on every channel.

    Args:
        images: (B, C, H, W) in [0, 1].
        sigma: (B,) noise standard deviation on the 0-255 scale.
        gray: (B,) bool.
        generators: one CPU generator per sample (the noise is drawn on the CPU, then moved).
    """
    batch, channels, height, width = images.shape
    noise = torch.stack([torch.randn(channels, height, width, generator=g) for g in generators]).to(images)
    noise = torch.where(gray[:, None, None, None].to(images.device), noise[:, :1].expand_as(noise), noise)
    return (images + noise * (sigma.to(images) / 255)[:, None, None, None]).clamp(0, 1)


def add_poisson_noise(images: torch.Tensor, scale: torch.Tensor, gray: torch.Tensor, generators: list[torch.Generator]) -> torch.Tensor:
    """Add shot noise: each pixel drawn from Poisson(value * levels) / levels, the difference scaled by ``scale``.

    ``levels`` is the number of distinct values of the sample rounded up to a power of two (as Real-ESRGAN
    does), so an 8-bit image gets 256 photon levels. ``gray`` samples draw it on their luminance.
    """
    out = []
    for image, s, g, generator in zip(images, scale.tolist(), gray.tolist(), generators):
        source = kornia.color.rgb_to_grayscale(image[None])[0] if g else image
        levels = 2 ** math.ceil(math.log2(max(2, len(torch.unique(source)))))
        shot = torch.poisson((source.clamp(0, 1) * levels).cpu(), generator=generator).to(image) / levels
        out.append(image + (shot - source) * s)
    return torch.stack(out).clamp(0, 1)


def jpeg_libjpeg(images: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Encode and decode each sample with libjpeg (Pillow, 4:2:0) at its own integer quality."""
    out = []
    pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    for image, q in zip(pixels, quality.tolist()):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=int(round(q)))
        buffer.seek(0)
        out.append(np.asarray(Image.open(buffer).convert("RGB")))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).to(images.device, images.dtype) / 255


def jpeg_kornia(images: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """kornia's differentiable JPEG approximation, batched on the images' device."""
    return kornia.enhance.jpeg_codec_differentiable(images.clamp(0, 1), quality.to(images)).clamp(0, 1)


def jpeg(images: torch.Tensor, quality: torch.Tensor, codec: str = "libjpeg") -> torch.Tensor:
    """JPEG round trip at a per-sample quality (B,) with ``libjpeg`` or ``kornia``."""
    return jpeg_libjpeg(images, quality) if codec == "libjpeg" else jpeg_kornia(images, quality)


def sharpen(images: torch.Tensor, weight: float = 0.5, threshold: float = 10 / 255, kernel_size: int = 51) -> torch.Tensor:
    """Unsharp mask where edges are (Real-ESRGAN's USM of the HR targets), softly masked; output in [0, 1].

    Borders are mirrored; an image no larger than half the kernel (too small to mirror) repeats its edge pixels.
    """
    sigma = 0.3 * ((kernel_size - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for a given kernel size
    border = "reflect" if min(images.shape[-2:]) > kernel_size // 2 else "replicate"
    blur_of = lambda x: kornia.filters.gaussian_blur2d(x, (kernel_size, kernel_size), (sigma, sigma), border_type=border)  # noqa: E731
    residual = images - blur_of(images)
    mask = blur_of((residual.abs() > threshold).to(images))
    sharp = (images + weight * residual).clamp(0, 1)
    return mask * sharp + (1 - mask) * images


# ------------------------------------------------------------------------------------------ random settings
def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _beta(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """Half the draws below 1 and half above, as Real-ESRGAN draws the shape exponent."""
    if bounds[0] < 1 < bounds[1] and rng.random() < 0.5:
        return _uniform(rng, (bounds[0], 1.0))
    return _uniform(rng, (max(bounds[0], 1.0) if bounds[1] > 1 else bounds[0], bounds[1]))


def draw_kernels(p: DegradationPass, rngs: list[np.random.Generator], full: int, always: bool = False) -> torch.Tensor:
    """One blur kernel per sample for pass ``p`` (identity where the blur is skipped); (B, full, full)."""
    rows = []
    for rng in rngs:
        size = int(rng.choice(np.arange(p.kernel_sizes[0], p.kernel_sizes[1] + 1, 2)))
        if not always and rng.random() >= p.blur_prob:
            rows.append(("none", size, 0.0, 0.0, 0.0, 1.0))
        elif rng.random() < p.sinc_prob:
            rows.append(("sinc", size, _uniform(rng, (math.pi / 3 if size < 13 else math.pi / 5, math.pi)), 0.0, 0.0, 1.0))
        else:
            kind = KERNEL_KINDS[int(rng.choice(len(KERNEL_KINDS), p=np.asarray(p.kernel_probs) / sum(p.kernel_probs)))]
            sigma_x = _uniform(rng, p.blur_sigma)
            sigma_y = _uniform(rng, p.blur_sigma) if kind.endswith("aniso") else sigma_x
            angle = _uniform(rng, (-math.pi, math.pi)) if kind.endswith("aniso") else 0.0
            beta = _beta(rng, p.generalized_beta) if kind.startswith("generalized") else _beta(rng, p.plateau_beta) if kind.startswith("plateau") else 1.0
            rows.append((kind, size, sigma_x, sigma_y, angle, beta))
    kinds = [r[0] for r in rows]
    sizes = torch.tensor([r[1] for r in rows])
    a, b, c, d = (torch.tensor([r[i] for r in rows], dtype=torch.float32) for i in range(2, 6))
    plateau = torch.tensor([k.startswith("plateau") for k in kinds])
    gaussian = gaussian_family_kernels(sizes, a.clamp(min=1e-3), b.clamp(min=1e-3), c, d, plateau)
    gaussian = F.pad(gaussian, [(full - gaussian.shape[-1]) // 2] * 4)
    sinc = sinc_kernels(sizes, a.clamp(min=1e-3), full)
    delta = identity_kernels(len(rows), full)
    pick = lambda name: torch.tensor([k == name for k in kinds])[:, None, None]  # noqa: E731
    return torch.where(pick("sinc"), sinc, torch.where(pick("none"), delta, gaussian))


def draw_noise(images: torch.Tensor, p: DegradationPass, rngs: list[np.random.Generator]) -> torch.Tensor:
    """Gaussian or Poisson noise per sample as pass ``p`` says."""
    use_gaussian = [rng.random() < p.gaussian_noise_prob for rng in rngs]
    gray = torch.tensor([rng.random() < p.gray_noise_prob for rng in rngs])
    sigma = torch.tensor([_uniform(rng, p.noise_sigma) for rng in rngs])
    poisson = torch.tensor([_uniform(rng, p.poisson_scale) for rng in rngs])
    generators = [torch.Generator().manual_seed(int(rng.integers(2**62))) for rng in rngs]
    out = add_gaussian_noise(images, sigma, gray, generators)
    shot = [i for i, g in enumerate(use_gaussian) if not g]
    if shot:
        out[shot] = add_poisson_noise(images[shot], poisson[shot], gray[shot], [generators[i] for i in shot])
    return out


def _resize_factor(p: DegradationPass, rng: np.random.Generator) -> float:
    direction = int(rng.choice(3, p=np.asarray(p.resize_probs) / sum(p.resize_probs)))
    if direction == 0:
        return _uniform(rng, (1.0, p.resize_range[1]))
    if direction == 1:
        return _uniform(rng, (p.resize_range[0], 1.0))
    return 1.0


def _mode(rng: np.random.Generator) -> str:
    return RESIZE_MODES[int(rng.integers(len(RESIZE_MODES)))]


# ----------------------------------------------------------------------------------------------- pipeline
def sample_rngs(seed: int, sample_ids: list[int]) -> list[np.random.Generator]:
    """One independent generator per sample id."""
    return [np.random.default_rng([seed, DEGRADATION_STREAM, 0, int(i)]) for i in sample_ids]


def degrade(hr: torch.Tensor, scale: int, config: DegradationConfig, sample_ids: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Make realistic LR inputs from HR crops.

    Args:
        hr: (B, 3, H, W) float in [0, 1] with H and W multiples of ``scale``.
        scale: downscaling factor of the output.
        config: degradation settings.
        sample_ids: B distinct ids (the data loader's), which alone decide each sample's randomness.
        seed: run seed.

    Returns:
        ``(lr, target)``: LR (B, 3, H/s, W/s) quantised to 8-bit levels in [0, 1], and the HR target
        (sharpened when ``config.sharpen_targets``).
    """
    rngs = sample_rngs(seed, sample_ids)
    batch_rng = np.random.default_rng([seed, DEGRADATION_STREAM, 1, min(int(i) for i in sample_ids)])
    height, width = hr.shape[-2:]
    full = max(config.first.kernel_sizes[1], config.second.kernel_sizes[1], 21)
    target = sharpen(hr) if config.sharpen_targets else hr

    out = blur(target, draw_kernels(config.first, rngs, full, always=True).to(hr.device))
    factor = _resize_factor(config.first, batch_rng)
    out = resize(out, (max(1, int(height * factor)), max(1, int(width * factor))), _mode(batch_rng))
    out = draw_noise(out, config.first, rngs)
    out = jpeg(out, torch.tensor([_uniform(r, config.first.jpeg_quality) for r in rngs]), config.jpeg_codec)

    if batch_rng.random() < config.second_pass_prob:
        out = blur(out, draw_kernels(config.second, rngs, full).to(hr.device))
        factor = _resize_factor(config.second, batch_rng)
        out = resize(out, (max(1, int(height / scale * factor)), max(1, int(width / scale * factor))), _mode(batch_rng))
        out = draw_noise(out, config.second, rngs)

    final_sinc = _final_sinc(config, rngs, full).to(hr.device)
    lr_size, mode = (height // scale, width // scale), _mode(batch_rng)
    quality = torch.tensor([_uniform(r, config.second.jpeg_quality) for r in rngs])
    if batch_rng.random() < 0.5:
        out = jpeg(blur(resize(out, lr_size, mode), final_sinc), quality, config.jpeg_codec)
    else:
        out = blur(resize(jpeg(out, quality, config.jpeg_codec), lr_size, mode), final_sinc)
    return (out.clamp(0, 1) * 255).round() / 255, target


def _final_sinc(config: DegradationConfig, rngs: list[np.random.Generator], full: int) -> torch.Tensor:
    sizes = torch.tensor([int(r.choice(np.arange(7, 22, 2))) for r in rngs])
    cutoff = torch.tensor([_uniform(r, (math.pi / 3, math.pi)) for r in rngs])
    use = torch.tensor([r.random() < config.final_sinc_prob for r in rngs])[:, None, None]
    return torch.where(use, sinc_kernels(sizes, cutoff, full), identity_kernels(len(rngs), full))
