"""Evaluate an upscaling function on a protocol set: per-image and mean Y-PSNR/SSIM (and LPIPS when asked),
model vs bicubic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from common.core.errors import UserError
from common.degrade.matlab_bicubic import imresize_uint8
from common.metrics.sr_protocol import sr_scores
from superres.data import EvalImage


@dataclass
class ImageScore:
    name: str
    psnr: float
    ssim: float
    bicubic_psnr: float
    bicubic_ssim: float
    lpips: Optional[float] = None
    bicubic_lpips: Optional[float] = None
    niqe: Optional[float] = None
    bicubic_niqe: Optional[float] = None


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB bicubic upscaling of a uint8 (B, 3, h, w) tensor (the protocol's baseline)."""
    return imresize_uint8(lr, float(scale))


def lpips_score(lpips: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], output: torch.Tensor, hr: torch.Tensor, border: int) -> float:
    """LPIPS of two uint8 (1, 3, H, W) images on RGB, with the protocol's border cropped as for PSNR."""
    crop = (slice(None), slice(None), slice(border, -border or None), slice(border, -border or None))
    device = next(lpips.parameters()).device if isinstance(lpips, torch.nn.Module) else torch.device("cpu")
    return lpips(output[crop].to(device, torch.float32) / 255, hr[crop].to(device, torch.float32) / 255).item()


def niqe_score(params: tuple, output: torch.Tensor, border: int) -> float:
    """NIQE (no reference) of a uint8 (1, 3, H, W) image, border cropped."""
    from common.metrics.niqe import niqe

    return niqe(output[0].permute(1, 2, 0).numpy(), params, border)


def evaluate(
    upscale: Callable[[torch.Tensor], torch.Tensor], pairs: list[EvalImage], scale: int,
    lpips: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None, niqe_params: tuple | None = None,
) -> list[ImageScore]:
    """Score ``upscale`` (uint8 (1, 3, h, w) -> uint8 (1, 3, H, W)) on protocol pairs, border ``scale``; with
    ``lpips`` (e.g. :class:`common.metrics.lpips.LPIPS`) also LPIPS of the model and of bicubic, with
    ``niqe_params`` (:func:`common.metrics.niqe.load_niqe_params`) their NIQE."""
    scores = []
    for pair in pairs:
        output = upscale(pair.lr)
        if output.shape != pair.hr.shape:
            raise ValueError(f"{pair.name}: output {tuple(output.shape)} does not match HR {tuple(pair.hr.shape)}")
        bicubic = bicubic_upscale(pair.lr, scale)
        psnr, ssim = sr_scores(output, pair.hr, scale)
        bic_psnr, bic_ssim = sr_scores(bicubic, pair.hr, scale)
        score = ImageScore(pair.name, psnr.item(), ssim.item(), bic_psnr.item(), bic_ssim.item())
        if lpips is not None:
            score.lpips, score.bicubic_lpips = lpips_score(lpips, output, pair.hr, scale), lpips_score(lpips, bicubic, pair.hr, scale)
        if niqe_params is not None:
            try:
                score.niqe, score.bicubic_niqe = niqe_score(niqe_params, output, scale), niqe_score(niqe_params, bicubic, scale)
            except UserError as exc:
                raise UserError(f"{pair.name}: {exc}") from None
        scores.append(score)
    return scores


def mean_scores(scores: list[ImageScore]) -> dict[str, float]:
    """Means over images of every score present (``lpips`` / ``niqe`` keys only when they were computed)."""
    count = len(scores)
    keys = ["psnr", "ssim", "bicubic_psnr", "bicubic_ssim"]
    keys += [k for k in ("lpips", "bicubic_lpips", "niqe", "bicubic_niqe") if scores and getattr(scores[0], k) is not None]
    return {key: sum(getattr(s, key) for s in scores) / count for key in keys}


def torch_model_upscaler(model: torch.nn.Module, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap a [0, 1] -> [0, 1] model as a uint8 -> uint8 upscaler (clamped and rounded, as the protocol says)."""

    @torch.no_grad()
    def upscale(lr: torch.Tensor) -> torch.Tensor:
        output = model(lr.to(device, torch.float32) / 255.0)
        return (output.clamp(0, 1) * 255).round().to(torch.uint8).cpu()

    return upscale
