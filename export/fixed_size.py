"""Fixed-size graphs (``export --input-size HxW``), for runtimes without dynamic shapes (OpenCV 4.x DNN, some
mobile and WebGPU paths).

Consumers run such a graph on windows of exactly its size: each window holds one tile and the network's context
around it, moved inside the image rather than clipped at the border, so the tiles put together still equal the
whole image run on a dynamic graph. Only an image smaller than the window is padded (edge replicated), and there
the outermost pixels differ slightly from a whole-image run.
"""
from __future__ import annotations

import re

from common.core.errors import UserError

MAX_SIDE = 4096


def parse_input_size(text: str) -> tuple[int, int]:
    """``"256x192"`` (height x width) or ``"256"`` -> (256, 192) / (256, 256).

    Raises:
        UserError: naming ``--input-size`` and what is wrong.
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:[x,]\s*(\d+))?\s*", text or "")
    if not match:
        raise UserError(f"--input-size {text!r}: expected HEIGHTxWIDTH in pixels, e.g. 256x256")
    height, width = int(match.group(1)), int(match.group(2) or match.group(1))
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise UserError(f"--input-size {text}: each side must be 1 to {MAX_SIDE} pixels")
    return height, width


def check_input_size(size: tuple[int, int], context: int, multiple: int) -> None:
    """A fixed window must be a multiple of the graph's alignment and leave room for a tile inside its context.

    Raises:
        UserError: naming ``--input-size``, the model's context and the smallest size that works.
    """
    smallest = -(-(2 * context + multiple) // multiple) * multiple
    for side in size:
        if side % multiple or side < smallest:
            raise UserError(f"--input-size {size[0]}x{size[1]}: this model needs sides that are multiples of {multiple} and at "
                            f"least {smallest} (its context is {context} pixels on each side of a tile)")


def fixed_tile(window: tuple[int, int], pad: int) -> tuple[int, int]:
    """The tile (height, width) a window of this size carries with ``pad`` of context on each side."""
    return window[0] - 2 * pad, window[1] - 2 * pad
