"""Tiling helpers: both tilers equal a whole-image pass for a pointwise function, read-only input included."""
import warnings

import numpy as np
import pytest

from common.tiling.torch_apply import blended_tiled_apply, tiled_apply


def _brighten(patch):
    return (patch * 0.5 + 0.25).clamp(0, 1)


@pytest.mark.parametrize("tile", [0, 16])  # 0: the whole image, whose slice is the caller's own read-only memory
@pytest.mark.parametrize("tiler", ["plain", "blended"])
def test_tilers_match_whole_image_on_read_only_input(tiler, tile):
    pixels = np.random.default_rng(0).integers(0, 256, (37, 29, 3), dtype=np.uint8)
    pixels.setflags(write=False)  # as np.asarray(PIL image) gives
    expected = np.round((pixels / 255 * 0.5 + 0.25) * 255).astype(np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when wrapping read-only memory
        if tiler == "plain":
            out = tiled_apply(pixels, _brighten, scale=1, tile=tile, pad=2)
        else:
            out = blended_tiled_apply(pixels, _brighten, tile=tile, overlap=6)
    assert out.shape == pixels.shape and np.abs(out.astype(int) - expected.astype(int)).max() <= 1
