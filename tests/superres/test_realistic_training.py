"""Training on real-world degradations: the LR differs from bicubic, the settings are saved with the model, and an
interrupted run resumes exactly (the degradations depend only on seed and sample ids)."""
import json

import pytest
import torch

from common.degrade.config import DegradationConfig
from common.train.loop import LoopConfig
from superres.cli import main
from superres.models import lr_shuffle_config
from superres.step import make_lr, make_pair
from superres.train import SRTrainConfig, train_sr
from tests.helpers import assert_resumed_run_equals_straight, make_image_folder


@pytest.fixture
def data(tmp_path):
    return make_image_folder(tmp_path / "hr", count=3, size=(40, 40))


def test_realistic_pairs_differ_from_bicubic_and_follow_the_ids():
    hr = (torch.rand(2, 3, 32, 32) * 255).round().to(torch.uint8)
    clean, _ = make_lr(hr, 4)
    real, target = make_pair(hr, 4, DegradationConfig(), [0, 1], seed=0)
    assert real.shape == clean.shape and not torch.allclose(real, clean, atol=2 / 255)
    assert torch.equal(target, hr.float() / 255)
    assert torch.equal(make_pair(hr, 4, None, [0, 1], 0)[0], clean)


def test_interrupted_realistic_run_resumes_exactly(tmp_path, data, monkeypatch):
    from superres.step import SRStep

    config = SRTrainConfig(data=str(data), model=lr_shuffle_config(4, num_blocks=1, channels=8), hr_size=16, degradation=DegradationConfig())
    loop = LoopConfig(max_steps=4, batch_size=2, device="cpu", checkpoint_every=2, log_every=1, sample_every=0, ema_decay=0.9)
    assert_resumed_run_equals_straight(monkeypatch, SRStep, 2, lambda run, resume: train_sr(config, loop, run, resume=resume), tmp_path, "srresnet")
    meta = json.loads((tmp_path / "resumed" / "model.json").read_text())
    assert meta["degradation"] == "realistic" and meta["degradation_settings"]["first"]["noise_sigma"] == [1.0, 30.0]


def test_cli_degradation_options(tmp_path, data, capsys):
    args = ["train", "--data", str(data), "--arch", "lr_shuffle", "--blocks", "1", "--channels", "8", "--hr-size", "16",
            "--batch-size", "2", "--max-steps", "1", "--device", "cpu"]
    settings = tmp_path / "weak.json"
    settings.write_text(json.dumps({"first": {"noise_sigma": [1, 3]}}))
    assert main(args + ["-o", str(tmp_path / "r1"), "--degradation", "realistic", "--degradation-config", str(settings)]) == 0
    meta = json.loads((tmp_path / "r1" / "model.json").read_text())
    assert meta["degradation_settings"]["first"]["noise_sigma"] == [1, 3]
    assert main(args + ["-o", str(tmp_path / "r2"), "--degradation-config", str(settings)]) == 2
    assert "--degradation-config needs --degradation realistic" in capsys.readouterr().err
    settings.write_text('{"first": {"jpeg_quality": [0, 200]}}')
    assert main(args + ["-o", str(tmp_path / "r3"), "--degradation", "realistic", "--degradation-config", str(settings)]) == 2
    err = capsys.readouterr().err
    assert "weak.json" in err and "first.jpeg_quality" in err and "Traceback" not in err
    assert not (tmp_path / "r3").exists()
