"""NIQE: the same score as BasicSR's port of the MATLAB release on real photos, and its direction."""
import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from common.core.errors import UserError
from common.degrade.matlab_bicubic import imresize
from common.io.images import read_rgb8
from common.metrics.niqe import find_niqe_params, load_niqe_params, niqe
from tests.conftest import shared_folder

# BasicSR's source tree (its sdist unpacked; the README's Tests section says how): the parity reference and the
# pristine model's file.
BASICSR = os.environ.get("GANSUITE_BASICSR_SOURCE") or str(Path(__file__).resolve().parents[3] / ".data" / "basicsr-1.4.2")


def _params():
    if not (Path(BASICSR) / "basicsr" / "metrics" / "niqe.py").is_file():
        pytest.skip(f"NIQE parity: {BASICSR} is absent (unpack BasicSR's sdist there, or set GANSUITE_BASICSR_SOURCE)")
    return Path(BASICSR) / "basicsr" / "metrics" / "niqe_pris_params.npz"


def _their_niqe():
    """BasicSR's niqe() with its two helper imports given by stand-ins (the package itself imports much more);
    its MATLAB resize is replaced by ours, which has its own MATLAB parity test."""
    stubs = {"basicsr": types.ModuleType("basicsr"), "basicsr.metrics": types.ModuleType("basicsr.metrics"),
             "basicsr.metrics.metric_util": types.ModuleType("m"), "basicsr.utils": types.ModuleType("u"),
             "basicsr.utils.matlab_functions": types.ModuleType("f"), "basicsr.utils.registry": types.ModuleType("r")}
    stubs["basicsr.metrics.metric_util"].reorder_image = stubs["basicsr.metrics.metric_util"].to_y_channel = None
    stubs["basicsr.utils.matlab_functions"].imresize = lambda img, scale, antialiasing: imresize(torch.from_numpy(img), scale).numpy()
    stubs["basicsr.utils.registry"].METRIC_REGISTRY = types.SimpleNamespace(register=lambda: (lambda f: f))
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        spec = importlib.util.spec_from_file_location("their_niqe", Path(BASICSR) / "basicsr" / "metrics" / "niqe.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            sys.modules.pop(key) if value is None else sys.modules.__setitem__(key, value)
    return module.niqe


def test_matches_basicsr_on_real_photos():
    params = load_niqe_params(_params())
    their_niqe = _their_niqe()
    for path in sorted(shared_folder("sr", "Set14").glob("*.png"))[:3]:
        rgb = read_rgb8(path)
        pixels = rgb.astype(np.float64) / 255.0
        luma = (16.0 + 65.481 * pixels[..., 0] + 128.553 * pixels[..., 1] + 24.966 * pixels[..., 2]).round()
        assert niqe(rgb, params) == pytest.approx(their_niqe(luma, *params), rel=1e-9)


def test_blur_and_noise_score_as_less_natural():
    params = load_niqe_params(_params())
    rgb = read_rgb8(shared_folder("sr", "Set14") / "lenna.png")
    blurred = imresize(imresize(torch.from_numpy(rgb).permute(2, 0, 1).double(), 0.25), 4.0).clamp(0, 255).round()
    blurred = blurred.permute(1, 2, 0).numpy().astype(np.uint8)
    assert niqe(blurred, params) > niqe(rgb, params) + 1


def test_missing_or_wrong_parameters_are_one_line(tmp_path):
    with pytest.raises(UserError, match="absent.npz: NIQE parameters file not found"):
        find_niqe_params(tmp_path / "absent.npz")
    np.savez(tmp_path / "bad.npz", mu_pris_param=np.zeros(3), cov_pris_param=np.zeros((3, 3)), gaussian_window=np.zeros((7, 7)))
    with pytest.raises(UserError, match="wrong shapes"):
        load_niqe_params(tmp_path / "bad.npz")
    with pytest.raises(UserError, match="at least two 96x96 blocks"):
        niqe(np.zeros((50, 200, 3), np.uint8), (np.zeros(36), np.eye(36), np.ones((7, 7)) / 49))
    with pytest.raises(UserError, match="got 150x150"):
        niqe(np.zeros((150, 150, 3), np.uint8), (np.zeros(36), np.eye(36), np.ones((7, 7)) / 49))


def test_an_image_of_one_block_is_refused_in_one_line():
    """Under 192 px on both sides there is one 96-px block, and no covariance to compare: numpy gave NaN and the
    SVD failed (a traceback in `superres eval`); MATLAB's nancov ranks a blurred crop as more natural there."""
    params = load_niqe_params(_params())
    rgb = read_rgb8(shared_folder("sr", "Set14") / "baboon.png")
    with pytest.raises(UserError, match="NIQE needs at least two 96x96 blocks .* got 170x150"):
        niqe(rgb[:150, :170], params)
    assert np.isfinite(niqe(rgb[:150, :192], params))  # two blocks side by side are enough
