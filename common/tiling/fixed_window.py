"""Windows of one fixed size for graphs without dynamic shapes (:mod:`export.fixed_size`): each holds a tile and
its context, moved inside the image instead of clipped at the border, so every window has the graph's size."""
from __future__ import annotations

import numpy as np


def fixed_window(box: tuple[int, int, int, int], pad: int, height: int, width: int, window: tuple[int, int]) -> tuple[int, int, int, int]:
    """The ``window``-sized (top, left, bottom, right) holding ``box`` and ``pad`` of context, moved inside the image
    (it runs past the bottom/right only where the image is smaller than the window)."""
    top, left = box[:2]
    y0 = max(min(top - pad, height - window[0]), 0)
    x0 = max(min(left - pad, width - window[1]), 0)
    return y0, x0, y0 + window[0], x0 + window[1]


def cut_window(pixels: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """``pixels[y0:y1, x0:x1]`` (H, W, C), edge-replicated where the window runs past the image."""
    y0, x0, y1, x1 = window
    patch = pixels[y0:y1, x0:x1]
    short_h, short_w = (y1 - y0) - patch.shape[0], (x1 - x0) - patch.shape[1]
    return np.pad(patch, ((0, short_h), (0, short_w), (0, 0)), mode="edge") if short_h or short_w else patch
