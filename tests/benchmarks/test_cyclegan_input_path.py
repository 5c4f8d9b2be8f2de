"""The input-path readout: what the input sees of the last conv, and the signed error per tone band."""
import numpy as np
import torch

from benchmarks.cyclegan_input_path import error_by_band, input_path_summary
from translate.models import ResnetGenerator, ResnetGeneratorConfig


def test_input_path_summary_reads_the_weights_as_the_input_sees_them():
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, input_skip=True, input_skip_gain=10.0))
    with torch.no_grad():
        path = generator.model[-2].weight[:, 4:]
        path.zero_()
        path[:, :, 3, 3] = -0.05  # centre taps of -0.5 once times the gain, from each of the 3 input channels
        path[0, 0, 3, 2] = 0.08  # one neighbour of +0.8: output 0 answers a flat image with -1.5 + 0.8
    summary = input_path_summary(generator)
    assert np.allclose(summary["flat_response"], [-0.7, -1.5, -1.5])
    assert np.allclose(summary["centre_taps"], [-0.5, -0.5, -0.5]) and np.isclose(summary["largest_weight"], 0.8)
    assert input_path_summary(ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1))) == {}


def test_error_by_band_shows_a_contrast_boost_as_dark_shadows_and_bright_highlights():
    truth = np.arange(256, dtype=np.uint8).reshape(16, 16)
    boosted = np.clip((truth.astype(float) - 128) * 1.1 + 128, 0, 255).round().astype(np.uint8)
    bands = error_by_band([boosted], [truth])
    assert len(bands) == 8 and bands[0] < -5 and bands[-1] > 5 and abs(bands[3] + bands[4]) < 1
