"""``--tile auto``: the tile grid that upscales an image fastest within the memory at hand.

Exact tiles carry the network's receptive radius as context on every inner side, so each extra tile costs
compute; one whole image costs none, but on a CPU a feature map larger than the last-level cache runs far slower
per pixel (measured with ``benchmarks/peer_loop_speed.py``: SRVGGNetCompact at 64 features takes 18 us per input
pixel on 256-pixel tiles, 30 us on a 400-pixel one, whose 41 MB maps overflow the 32 MB L3). So the plan weighs
the padded area of each candidate grid against the cache and refuses any grid whose largest tile would not fit
the memory budget. Tiles of one grid are of even size (481 pixels: two of 241, not 256 + 225), which keeps the
largest tile, and so the peak memory, as small as the grid allows.

Pure arithmetic, no torch: the ONNX path uses it too.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

LIVE_MAPS_AT_PEAK = 3  # a layer's input and output and one skip connection: the peak of plain, residual and dense nets
OVER_CACHE_COST = 1.6  # per-pixel slowdown of a tile whose feature maps overflow the cache (measured 1.3x-1.65x)
DEFAULT_CACHE_BYTES = 32 << 20
MIN_TILE = 32
Grid = tuple[int, int]  # (tile height, tile width) in input pixels; (0, 0) is the whole image


@dataclass(frozen=True)
class TileBudget:
    """What one padded tile may use.

    Attributes:
        memory_bytes: the most its activations may take (about ``peak_bytes_per_pixel`` x its input pixels).
        cache_bytes: size of one feature map past which per-pixel speed falls (the CPU's last-level cache);
            None where that does not matter (a GPU).
        peak_bytes_per_pixel: the network's memory at its peak, per input pixel.
        feature_bytes_per_pixel: its widest feature map, per input pixel.
    """

    memory_bytes: int
    cache_bytes: int | None
    peak_bytes_per_pixel: int
    feature_bytes_per_pixel: int


def tile_setting(tile: int | str, multiple: int) -> int | str:
    """A ``--tile`` value as the engines keep it: ``auto``, or the size rounded up to the network's ``multiple``."""
    return "auto" if tile == "auto" else -(-int(tile) // multiple) * multiple


def last_level_cache_bytes() -> int:
    """The largest CPU cache sysfs reports (Linux), else 32 MiB."""
    sizes = []
    for entry in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = entry.read_text().strip().upper()
        try:
            sizes.append(int(text[:-1]) << {"K": 10, "M": 20, "G": 30}[text[-1]] if text[-1] in "KMG" else int(text))
        except (ValueError, KeyError):
            continue
    return max(sizes, default=DEFAULT_CACHE_BYTES)


def available_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo (Linux); else the physical memory; else 4 GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def cpu_budget(feature_bytes_per_pixel: int, peak_bytes_per_pixel: int, memory_fraction: float = 0.5) -> TileBudget:
    """Half the available memory and the last-level cache."""
    return TileBudget(int(available_memory_bytes() * memory_fraction), last_level_cache_bytes(), peak_bytes_per_pixel, feature_bytes_per_pixel)


def _even_split(length: int, parts: int, multiple: int) -> int:
    """The side of ``parts`` equal tiles covering ``length``, rounded up to ``multiple``."""
    per_part = -(-length // parts)
    return -(-per_part // multiple) * multiple


def _padded_lengths(length: int, tile: int, pad: int) -> list[int]:
    starts = range(0, length, tile)
    return [min(start + tile + pad, length) - max(start - pad, 0) for start in starts]


def grid_cost(height: int, width: int, grid: Grid, pad: int, budget: TileBudget) -> float:
    """Relative time of a grid (input pixels computed, weighted by the cache penalty); ``inf`` when its largest
    tile exceeds the memory budget."""
    tile_h, tile_w = grid
    heights = _padded_lengths(height, tile_h or height, pad)
    widths = _padded_lengths(width, tile_w or width, pad)
    largest = max(heights) * max(widths)
    if largest * budget.peak_bytes_per_pixel > budget.memory_bytes:
        return math.inf
    penalty = OVER_CACHE_COST if budget.cache_bytes is not None and largest * budget.feature_bytes_per_pixel > budget.cache_bytes else 1.0
    return sum(heights) * sum(widths) * penalty


def candidate_grids(height: int, width: int, pad: int, multiple: int, budget: TileBudget) -> set[Grid]:
    """The whole image, small even splits, and even grids of square padded tiles from 64 pixels to the image,
    including the largest that fit the cache and the memory."""
    grids: set[Grid] = {(0, 0)}
    for rows in range(1, 5):
        for cols in range(1, 5):
            grids.add((_even_split(height, rows, multiple), _even_split(width, cols, multiple)))
    sides = [64 * 1.1**step for step in range(80) if 64 * 1.1**step < 2 * max(height, width) + 2 * pad]
    limits = [budget.memory_bytes / budget.peak_bytes_per_pixel] + ([budget.cache_bytes / budget.feature_bytes_per_pixel] if budget.cache_bytes else [])
    for side in sides + [math.isqrt(int(pixels)) for pixels in limits]:
        tile = max((int(side) - 2 * pad) // multiple * multiple, MIN_TILE)
        rows, cols = -(-height // tile), -(-width // tile)
        grids.add((_even_split(height, rows, multiple), _even_split(width, cols, multiple)))
    return {(0, 0) if (h >= height and w >= width) else (min(h, height), min(w, width)) for h, w in grids}


def plan_tiles(height: int, width: int, pad: int, budget: TileBudget, multiple: int = 1) -> Grid:
    """The fastest grid for an image of ``height`` x ``width`` with ``pad`` pixels of context per side.

    Returns:
        (tile height, tile width), multiples of ``multiple``; (0, 0) for the whole image at once. When no grid
        fits the memory budget, the grid of the smallest tiles considered.
    """
    grids = candidate_grids(height, width, pad, max(multiple, 1), budget)
    costs = {grid: grid_cost(height, width, grid, pad, budget) for grid in grids}
    best = min(costs, key=lambda grid: (costs[grid], grid != (0, 0), -grid[0] * grid[1]))
    if math.isinf(costs[best]):
        return min(grids - {(0, 0)}, key=lambda grid: grid[0] * grid[1], default=(0, 0))
    return best
