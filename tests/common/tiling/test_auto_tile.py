"""``--tile auto``: grids that fit the memory, avoid cache overflow, cost as little overlap as they can, and give
exactly the whole-image result."""
import math

import numpy as np
import pytest
import torch

from common.tiling.auto_tile import TileBudget, grid_cost, plan_tiles
from common.tiling.feature_size import feature_bytes_per_pixel
from common.tiling.grid import tile_boxes
from superres.compact import CompactConfig, CompactSR
from superres.models import SRResNet, lr_shuffle_config
from superres.rrdbnet import RRDBNet, RRDBNetConfig
from superres.upscaler import Upscaler

MiB = 1 << 20


def _budget(memory=8 << 30, cache=32 * MiB, features=256):
    return TileBudget(memory, cache, 3 * features, features)


def test_an_image_whose_maps_fit_the_cache_runs_whole():
    assert plan_tiles(240, 320, 20, _budget()) == (0, 0)


def test_a_photo_past_the_cache_is_split_evenly_and_costs_less_than_fixed_256_tiles():
    budget = _budget()
    grid = plan_tiles(321, 481, 20, budget)
    assert grid == (321, 241)  # two even halves, not 256 + 225
    assert grid_cost(321, 481, grid, 20, budget) < grid_cost(321, 481, (256, 256), 20, budget)
    assert grid_cost(321, 481, grid, 20, budget) < grid_cost(321, 481, (0, 0), 20, budget)


def test_no_tile_exceeds_the_memory_budget():
    budget = _budget(memory=1 << 30, cache=None, features=4096)  # an RRDBNet-like network with 1 GiB
    height, width, pad = 3000, 4000, 94
    tile_h, tile_w = plan_tiles(height, width, pad, budget)
    largest = max((min(b + pad, height) - max(t - pad, 0)) * (min(r + pad, width) - max(lft - pad, 0))
                  for t, lft, b, r in tile_boxes(height, width, (tile_h, tile_w)))
    assert largest * budget.peak_bytes_per_pixel <= budget.memory_bytes


def test_a_wide_receptive_field_keeps_the_image_whole_rather_than_recompute_its_context():
    # RRDBNet's 94-pixel radius: four 256 tiles of a 320x240 crop would each compute nearly the whole crop.
    assert plan_tiles(240, 320, 94, _budget(features=4096)) == (0, 0)


def test_tiles_are_multiples_of_the_networks_cell():
    tile_h, tile_w = plan_tiles(1001, 1533, 12, _budget(), multiple=4)
    assert tile_h % 4 == 0 and tile_w % 4 == 0


@pytest.mark.parametrize("model, expected", [
    (CompactSR(CompactConfig(scale=2, num_features=16, num_convs=2)), 4 * 16),  # its 16-feature maps
    (SRResNet(lr_shuffle_config(4, num_blocks=1, channels=8)), 4 * 3 * 16),   # the x4 output beats 8 features
    (RRDBNet(RRDBNetConfig(num_blocks=1, num_features=8, growth=4)), 4 * 8 * 16),  # its HR convs, 8 features at x4
])
def test_feature_bytes_count_the_widest_map_per_input_pixel(model, expected):
    assert feature_bytes_per_pixel(model.eval(), multiple=model.multiple_of) == expected


def test_auto_tiles_equal_the_whole_image():
    torch.manual_seed(0)
    model = SRResNet(lr_shuffle_config(2, num_blocks=2, channels=8)).eval()
    pixels = np.random.default_rng(0).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    auto = Upscaler(model, device="cpu", tile="auto")
    auto._budget = _budget(memory=3 * 32 * 1600, cache=None, features=32)  # room for 1600-pixel tiles: forces a grid
    assert math.prod(len(set(axis)) for axis in zip(*[(t, lft) for t, lft, _, _ in tile_boxes(70, 90, auto.tiles_for(70, 90))])) > 1
    whole = Upscaler(model, device="cpu", tile=0).upscale_array(pixels)
    assert np.array_equal(auto.upscale_array(pixels), whole)


def test_a_forged_feature_size_in_an_onnx_file_is_one_error_naming_it():
    from common.core.errors import UserError
    from export.metadata import budget_from_metadata

    with pytest.raises(UserError, match=r"x.onnx: malformed gansuite metadata \(feature_bytes_per_pixel '9e99'"):
        budget_from_metadata({"feature_bytes_per_pixel": "9e99"}, 4, "x.onnx")
    assert budget_from_metadata({"feature_bytes_per_pixel": "256"}, 4).feature_bytes_per_pixel == 256
    old_file = budget_from_metadata({}, 4)  # exported before the key: 64 features, HR-sized peak
    assert old_file.feature_bytes_per_pixel == 256 and old_file.peak_bytes_per_pixel == 3 * 256 * 16


def test_tile_option_takes_auto_or_a_size(capsys):
    from superres.cli import main

    with pytest.raises(SystemExit):
        main(["upscale", "x.png", "--tile", "big"])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--tile" in error and "expected auto or a size in pixels" in error
