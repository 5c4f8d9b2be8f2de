"""Evaluate an upscaling function on a protocol set: per-image and mean Y-PSNR/SSIM, model vs bicubic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

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


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """MATLAB bicubic upscaling of a uint8 (B, 3, h, w) tensor (the protocol's baseline)."""
    return imresize_uint8(lr, float(scale))


def evaluate(upscale: Callable[[torch.Tensor], torch.Tensor], pairs: list[EvalImage], scale: int) -> list[ImageScore]:
    """Score ``upscale`` (uint8 (1, 3, h, w) -> uint8 (1, 3, H, W)) on protocol pairs, border ``scale``."""
    scores = []
    for pair in pairs:
        output = upscale(pair.lr)
        if output.shape != pair.hr.shape:
            raise ValueError(f"{pair.name}: output {tuple(output.shape)} does not match HR {tuple(pair.hr.shape)}")
        psnr, ssim = sr_scores(output, pair.hr, scale)
        bic_psnr, bic_ssim = sr_scores(bicubic_upscale(pair.lr, scale), pair.hr, scale)
        scores.append(ImageScore(pair.name, psnr.item(), ssim.item(), bic_psnr.item(), bic_ssim.item()))
    return scores


def mean_scores(scores: list[ImageScore]) -> dict[str, float]:
    count = len(scores)
    return {
        "psnr": sum(s.psnr for s in scores) / count,
        "ssim": sum(s.ssim for s in scores) / count,
        "bicubic_psnr": sum(s.bicubic_psnr for s in scores) / count,
        "bicubic_ssim": sum(s.bicubic_ssim for s in scores) / count,
    }


def torch_model_upscaler(model: torch.nn.Module, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap a [0, 1] -> [0, 1] model as a uint8 -> uint8 upscaler (clamped and rounded, as the protocol says)."""

    @torch.no_grad()
    def upscale(lr: torch.Tensor) -> torch.Tensor:
        output = model(lr.to(device, torch.float32) / 255.0)
        return (output.clamp(0, 1) * 255).round().to(torch.uint8).cpu()

    return upscale
