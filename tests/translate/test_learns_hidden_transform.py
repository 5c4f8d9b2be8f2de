"""Short real-pixel proof that CycleGAN learns: unpaired BSDS400 halves, one through a hidden colour grade.

The full experiment is benchmarks/cyclegan_hidden_transform.py; this is its short version (well under 3
minutes on 2 cores), asserting that A->B beats the identity baseline clearly on 40 held-out images.
"""
import pytest

from benchmarks.cyclegan_hidden_transform import run_experiment
from tests.conftest import shared_folder

SHORT_RUN = dict(steps=800, ngf=16, blocks=3, crop=32, identity=0.0)  # about a minute on 2 free cores


def test_cyclegan_recovers_a_hidden_colour_transform(tmp_path):
    shared_folder("sr", "train", "BSDS400")
    result = run_experiment(workdir=tmp_path, **SHORT_RUN)
    assert result["a2b_psnr"] > result["identity_psnr"] + 3.0, result
