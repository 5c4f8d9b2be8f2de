"""Side-by-side crops of several upscalers: what ``superres compare`` draws.

One row of panels, each the same region of the input upscaled by one model (plus bicubic, and the ground truth
when a reference HR image is given), labelled with the model's name and, with a reference, its scores on that
region: Y-PSNR / SSIM by the SR protocol and, where the LPIPS weights are found, LPIPS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from common.core.errors import UserError
from common.degrade.matlab_bicubic import imresize_uint8
from common.metrics.sr_protocol import sr_scores

Box = tuple[int, int, int, int]  # x, y, width, height in input pixels
CONTEXT = 32  # input pixels around the crop that each model also sees, so the crop matches a full-image run
LABEL_HEIGHT = 40  # the name and one line of scores
SCORE_LINE = 17  # each further line of scores a narrow panel needs
GAP = 4


@dataclass
class Panel:
    label: str
    pixels: np.ndarray  # (h, w, 3) uint8
    scores: dict[str, float]


def most_detailed_box(pixels: np.ndarray, size: int) -> Box:
    """The ``size`` x ``size`` window (on a grid of half steps) with the most gradient energy: where upscalers differ."""
    height, width = pixels.shape[:2]
    size_y, size_x = min(size, height), min(size, width)
    grey = pixels.astype(np.float32).mean(axis=2)
    energy = np.abs(np.diff(grey, axis=0))[:, :-1] + np.abs(np.diff(grey, axis=1))[:-1, :]
    best, box = -1.0, (0, 0, size_x, size_y)
    for y in range(0, max(1, height - size_y + 1), max(1, size_y // 2)):
        for x in range(0, max(1, width - size_x + 1), max(1, size_x // 2)):
            value = float(energy[y:y + size_y - 1, x:x + size_x - 1].sum())
            if value > best:
                best, box = value, (x, y, size_x, size_y)
    return box


def check_box(box: Box, width: int, height: int) -> Box:
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise UserError(f"--crop {x},{y},{w},{h}: must lie inside the {width}x{height} input (X,Y,W,H in input pixels)")
    return box


def upscale_crop(upscale: Callable[[np.ndarray], np.ndarray], pixels: np.ndarray, box: Box, scale: int) -> np.ndarray:
    """Upscale ``box`` of ``pixels`` with :data:`CONTEXT` pixels of surroundings, then keep the box."""
    x, y, w, h = box
    top, left = max(0, y - CONTEXT), max(0, x - CONTEXT)
    bottom, right = min(pixels.shape[0], y + h + CONTEXT), min(pixels.shape[1], x + w + CONTEXT)
    out = upscale(np.ascontiguousarray(pixels[top:bottom, left:right]))
    oy, ox = (y - top) * scale, (x - left) * scale
    return out[oy:oy + h * scale, ox:ox + w * scale, :3]


def bicubic(pixels: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB bicubic, as the SR protocol's baseline."""
    tensor = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)[None]
    return imresize_uint8(tensor, float(scale))[0].permute(1, 2, 0).numpy()


def region_scores(output: np.ndarray, reference: np.ndarray, lpips: Callable | None) -> dict[str, float]:
    """Y-PSNR / SSIM (no border: the region is an interior crop) and LPIPS when ``lpips`` is given."""
    a = torch.from_numpy(np.ascontiguousarray(output)).permute(2, 0, 1)[None]
    b = torch.from_numpy(np.ascontiguousarray(reference)).permute(2, 0, 1)[None]
    psnr, ssim = sr_scores(a, b, 0)
    scores = {"psnr": psnr.item(), "ssim": ssim.item()}
    if lpips is not None:
        with torch.no_grad():
            scores["lpips"] = lpips(a.float() / 255, b.float() / 255).item()
    return scores


def draw_grid(panels: list[Panel]) -> np.ndarray:
    """The panels side by side on white, each with its label (and scores) above it; (H, W, 3) uint8.

    Scores that do not fit a narrow panel on one line wrap onto more lines (all panels get the same label band),
    rather than losing their first figure to the ellipsis."""
    height = max(p.pixels.shape[0] for p in panels)
    width = sum(p.pixels.shape[1] for p in panels) + GAP * (len(panels) - 1)
    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), ImageFont.load_default(size=14)
    score_lines = [_wrap(draw, font, _score_items(p.scores), p.pixels.shape[1] - 8) for p in panels]
    band = LABEL_HEIGHT + SCORE_LINE * max(0, max(len(lines) for lines in score_lines) - 1)
    canvas = Image.new("RGB", (width, height + band), "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for panel, lines in zip(panels, score_lines):
        canvas.paste(Image.fromarray(panel.pixels), (x, band))
        room = panel.pixels.shape[1] - 8
        draw.text((x + 4, 3), _fit(draw, font, panel.label, room), fill="black", font=font)
        for row, line in enumerate(lines):
            draw.text((x + 4, 21 + SCORE_LINE * row), _fit(draw, font, line, room), fill="#333333", font=font)
        x += panel.pixels.shape[1] + GAP
    return np.asarray(canvas)


def _score_items(scores: dict[str, float]) -> list[str]:
    if not scores:
        return []
    items = [f"{scores['psnr']:.2f} dB", f"SSIM {scores['ssim']:.3f}"]
    return items + ([f"LPIPS {scores['lpips']:.3f}"] if "lpips" in scores else [])


def _wrap(draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont, items: list[str], width: int) -> list[str]:
    """``items`` joined by two spaces into as few lines of at most ``width`` pixels as they fit in."""
    lines: list[str] = []
    for item in items:
        if lines and draw.textlength(lines[-1] + "  " + item, font=font) <= width:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return lines


def _fit(draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont, text: str, width: int) -> str:
    """``text``, shortened from the left with an ellipsis until it fits ``width`` pixels (the end of a path says
    most)."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength("…" + text, font=font) > width:
        text = text[1:]
    return "…" + text


def compare(
    pixels: np.ndarray, upscalers: dict[str, Callable[[np.ndarray], np.ndarray]], scale: int, box: Box | None = None,
    reference: np.ndarray | None = None, lpips: Callable | None = None, crop_size: int = 64,
) -> tuple[np.ndarray, list[Panel]]:
    """(grid image, panels) for an (H, W, 3) uint8 input; ``upscalers`` map labels to array -> array functions.

    Raises:
        UserError: a box outside the input, or a reference whose size is not ``scale`` x the input's.
    """
    height, width = pixels.shape[:2]
    if reference is not None and reference.shape[:2] != (height * scale, width * scale):
        raise UserError(f"--reference is {reference.shape[1]}x{reference.shape[0]}, but x{scale} of the "
                        f"{width}x{height} input is {width * scale}x{height * scale}")
    box = check_box(box, width, height) if box else most_detailed_box(pixels, crop_size)
    x, y, w, h = box
    truth = reference[y * scale:(y + h) * scale, x * scale:(x + w) * scale, :3] if reference is not None else None
    crops = {"bicubic": upscale_crop(lambda region: bicubic(region, scale), pixels, box, scale)}
    crops.update({label: upscale_crop(function, pixels, box, scale) for label, function in upscalers.items()})
    panels = [Panel(label, crop, region_scores(crop, truth, lpips) if truth is not None else {}) for label, crop in crops.items()]
    if truth is not None:
        panels.append(Panel("ground truth", np.ascontiguousarray(truth), {}))
    return draw_grid(panels), panels
