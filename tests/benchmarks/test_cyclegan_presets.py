"""The preset experiment's plumbing: known-answer transforms, --set overrides reaching the config, and a tiny run
that writes a result the report reads (the 2000-step figures in the README come from the full command)."""
import json

import numpy as np
import torch

import pytest

from benchmarks.cyclegan_presets import _overrides, blur, main, report, run, tone_curve
from tests.conftest import shared_folder


def test_known_answer_transforms():
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (8, 1, 3))
    curved = tone_curve(ramp)[0, :, 0].astype(int)
    assert curved[0] == 0 and curved[255] == 255 and abs(curved[128] - 128) <= 1
    assert curved[64] < 64 and curved[192] > 192 and np.all(np.diff(curved) >= 0)  # an S: more contrast
    checker = (np.indices((32, 32)).sum(0) % 2 * 255).astype(np.uint8)[..., None].repeat(3, 2)
    assert blur(checker).std() < 0.2 * checker.std()


def test_set_options_become_overrides_and_labels():
    overrides, label = _overrides(0.1, ["lr=1e-4", "discriminator.norm=none", "generator.input_skip=false"])
    assert overrides == {"lambda_identity": 0.1, "lr": 1e-4, "discriminator.norm": "none", "generator.input_skip": False}
    assert label == "_id0.1_lr1e-4_discriminator.normnone_generator.input_skipfalse"


def test_tiny_run_applies_overrides_and_reports(tmp_path, capsys):
    shared_folder("sr", "train", "BSDS400")
    overrides = {"discriminator.norm": "none", "generator.input_skip": False, "pool_size": 0}
    result = run("tone", "default", steps=4, crop=24, ngf=4, blocks=1, workdir=tmp_path, overrides=overrides, label="_tiny")
    state = torch.load(tmp_path / "tone_default_tiny" / "run" / "checkpoints" / "last.pt", weights_only=True)
    config = state["task_config"]
    assert config["discriminator"]["norm"] == "none" and config["discriminator"]["ndf"] == 4 and config["pool_size"] == 0
    assert config["generator"]["input_skip"] is False and config["generator"]["residual_output"] is True
    assert result["overrides"] == overrides and np.isfinite(result["gain_db"])
    assert json.loads((tmp_path / "tone_default_tiny" / "result.json").read_text())["preset"] == "default_tiny"
    report(tmp_path, None)
    assert "| tone | default_tiny |" in capsys.readouterr().out


def test_a_stopped_run_made_with_other_settings_is_one_error_line(tmp_path, capsys):
    """Labels name overrides of the preset as it is, so a run left from before a preset change has the same
    label and other settings: the resume refuses, in one line that says how to start afresh."""
    shared_folder("sr", "train", "BSDS400")
    run("tone", "default", steps=2, crop=24, ngf=4, blocks=1, workdir=tmp_path, overrides={"pool_size": 0})
    capsys.readouterr()  # that run's own log
    with pytest.raises(SystemExit) as exit_info:
        main(["--tasks", "tone", "--presets", "default", "--steps", "4", "--crop", "24", "--ngf", "4", "--blocks", "1",
              "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "other options: pool_size" in err and str(tmp_path / "tone_default") in err
