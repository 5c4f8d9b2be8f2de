"""The gan stage: both recipes train G and D, the Real-ESRGAN recipe resumes bit for bit (G, D, both optimisers,
the EMA, the discriminator watch), and a stage that fails stops with one clear line. The VGG weights here are
random numbers saved in torchvision's layout: they exercise the loading path and the wiring, not perception."""
import json

import pytest
import torch

from common.backbones.vgg import truncated_features
from common.core.config import config_to_dict
from common.train.gan_health import GANTrainingFailed
from common.train.loop import LoopConfig, fit
from common.weights.model_files import save_weights
from superres.cli import main
from superres.data import SRTrainDataset
from superres.models import SRResNet, lr_shuffle_config
from superres.step import SRStep
from superres.train import build_sr_step, gan_recipe, train_sr
from tests.helpers import assert_resumed_run_equals_straight, make_image_folder


@pytest.fixture
def setup(tmp_path):
    data = make_image_folder(tmp_path / "d", count=3, size=(40, 40))
    generator = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    save_weights(generator, tmp_path / "init.safetensors", "srresnet", config_to_dict(generator.config))
    vgg = tmp_path / "vgg16.pth"
    torch.save({f"features.{k}": v for k, v in truncated_features("vgg16", "pool5").state_dict().items()}, vgg)
    return data, tmp_path / "init.safetensors", vgg


@pytest.mark.parametrize("recipe, discriminator", [("realesrgan", "UNetDiscriminator"), ("esrgan", "SRGANDiscriminator")])
def test_both_recipes_update_generator_and_discriminator(setup, tmp_path, recipe, discriminator):
    data, init, vgg = setup
    config = gan_recipe(str(data), str(init), recipe, hr_size=16, vgg_weights=str(vgg), model=lr_shuffle_config(2, num_blocks=1, channels=8))
    loop = LoopConfig(max_steps=2, batch_size=2, log_every=1, sample_every=0, validate_every=0, checkpoint_every=0, ema_decay=0)
    step, config = build_sr_step(config, loop, torch.device("cpu"))
    assert type(step.nets["discriminator"]).__name__ == discriminator
    assert config.vgg_arch == "vgg16" and config.perceptual_layers[-1][0] in ("conv5_3",)
    d_before = [p.detach().clone() for p in step.nets["discriminator"].parameters()]
    g_before = [p.detach().clone() for p in step.nets["generator"].parameters()]
    logs = fit(step, SRTrainDataset(config.data, 16), tmp_path / "run", loop, config, device=torch.device("cpu"))
    assert {"loss_pixel", "loss_perceptual", "loss_g_adv", "loss_d", "d_real", "d_fake", "d_accuracy"} <= set(logs)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, step.nets["discriminator"].parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, step.nets["generator"].parameters()))


def test_realesrgan_recipe_is_the_published_stage(setup):
    data, init, _ = setup
    config = gan_recipe(str(data), str(init))
    assert (config.pixel_weight, config.perceptual_weight, config.adversarial_weight) == (1.0, 1.0, 0.1)
    assert (config.gan_loss, config.discriminator, config.perceptual_layers, config.sharpen_loss_targets) == ("vanilla", "unet", "realesrgan", True)
    assert (config.lr, config.lr_d, config.schedule) == (1e-4, 1e-4, "constant")


def test_interrupted_gan_run_resumes_bit_for_bit(setup, tmp_path, monkeypatch):
    data, init, vgg = setup
    from common.degrade.config import DegradationConfig

    config = gan_recipe(str(data), str(init), hr_size=16, vgg_weights=str(vgg), degradation=DegradationConfig(),
                        model=lr_shuffle_config(2, num_blocks=1, channels=8))
    loop = LoopConfig(max_steps=4, batch_size=2, device="cpu", checkpoint_every=2, log_every=1, sample_every=0, ema_decay=0.9)
    assert_resumed_run_equals_straight(monkeypatch, SRStep, 2, lambda run, resume: train_sr(config, loop, run, resume=resume), tmp_path, "srresnet")
    states = [torch.load(tmp_path / run / "checkpoints" / "last.pt", weights_only=True) for run in ("straight", "resumed")]
    for name in ("generator", "discriminator"):
        assert all(torch.equal(x, y) for x, y in zip(states[0]["nets"][name].values(), states[1]["nets"][name].values()))
    assert states[0]["extra"] == states[1]["extra"]
    lines = [json.loads(line) for line in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()]
    straight = [json.loads(line) for line in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    assert [r["loss_d"] for r in lines] == [r["loss_d"] for r in straight]


def test_a_nan_loss_stops_before_any_weight_changes(setup, tmp_path, monkeypatch):
    data, init, vgg = setup
    config = gan_recipe(str(data), str(init), hr_size=16, vgg_weights=str(vgg), model=lr_shuffle_config(2, num_blocks=1, channels=8))
    loop = LoopConfig(max_steps=3, batch_size=2, log_every=1, sample_every=0, validate_every=0, checkpoint_every=0, ema_decay=0)
    step, config = build_sr_step(config, loop, torch.device("cpu"))
    before = [p.detach().clone() for p in step.nets["generator"].parameters()]
    monkeypatch.setattr(step.perceptual, "forward", lambda prediction, target: torch.tensor(float("nan")))
    with pytest.raises(GANTrainingFailed, match="step 1: loss_perceptual is not finite"):
        fit(step, SRTrainDataset(config.data, 16), tmp_path / "run", loop, config, device=torch.device("cpu"))
    assert all(torch.equal(a, b) for a, b in zip(before, step.nets["generator"].parameters()))


def test_cli_gan_stage_options_and_a_pinned_discriminator(setup, tmp_path, capsys, monkeypatch):
    data, init, vgg = setup
    args = ["train", "--data", str(data), "--scale", "2", "--stage", "gan", "--init", str(init), "--hr-size", "16",
            "--batch-size", "2", "--max-steps", "3", "--device", "cpu", "--vgg-weights", str(vgg), "--log-every", "1"]
    assert main(args + ["-o", str(tmp_path / "ok"), "--recipe", "esrgan", "--discriminator", "unet", "--adversarial-weight", "0.2"]) == 0
    saved = torch.load(tmp_path / "ok" / "checkpoints" / "last.pt", weights_only=True)["task_config"]
    assert (saved["discriminator"], saved["gan_loss"], saved["adversarial_weight"]) == ("unet", "relativistic", 0.2)
    assert saved["perceptual_layers"] == [["conv5_3", 1.0]]
    # A discriminator that wins everywhere (its accuracy forced to 1): patience 2 stops at step 2 with one line.
    monkeypatch.setattr("superres.step.discriminator_accuracy", lambda kind, real, fake: 1.0)
    code = main(args + ["-o", str(tmp_path / "pinned"), "--gan-patience", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "step 2: the discriminator separates real from fake perfectly for 2 steps" in err and "Traceback" not in err
    monkeypatch.undo()
    assert main(args + ["-o", str(tmp_path / "bad"), "--hr-size", "20", "--scale", "2"]) == 2
    assert "multiple of 8" in capsys.readouterr().err
