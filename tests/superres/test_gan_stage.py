"""The gan stage wiring (perceptual + adversarial + D step) with a random-weight VGG: wiring only, and said so."""
import torch

from common.nn.perceptual import PerceptualLoss
from common.train.loop import LoopConfig, fit
from superres.data import SRTrainDataset
from superres.models import SRResNet, lr_shuffle_config
from superres.train import SRTrainConfig, build_sr_step, gan_recipe
from tests.helpers import make_image_folder
from common.core.config import config_to_dict
from common.weights.model_files import save_weights


def test_gan_stage_updates_generator_and_discriminator(tmp_path, monkeypatch):
    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    generator = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    save_weights(generator, tmp_path / "init.safetensors", "srresnet", config_to_dict(generator.config))
    # Random VGG stands in for the real one, only to check that gradients flow; NOT a perceptual loss.
    monkeypatch.setattr(PerceptualLoss, "from_pretrained", classmethod(lambda cls, *a, **k: cls.with_random_weights_for_tests("conv2_2")))
    config = gan_recipe(str(data), str(tmp_path / "init.safetensors"), hr_size=16)
    config = SRTrainConfig(**{**config.__dict__, "model": generator.config})
    loop = LoopConfig(max_steps=2, batch_size=2, log_every=1, sample_every=0, validate_every=0, checkpoint_every=0, ema_decay=0)
    step, config = build_sr_step(config, loop, torch.device("cpu"))
    d_before = [p.detach().clone() for p in step.nets["discriminator"].parameters()]
    g_before = [p.detach().clone() for p in step.nets["generator"].parameters()]
    logs = fit(step, SRTrainDataset(config.data, 16), tmp_path / "run", loop, config, device=torch.device("cpu"))
    assert {"loss_pixel", "loss_perceptual", "loss_g_adv", "loss_d"} <= set(logs)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, step.nets["discriminator"].parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, step.nets["generator"].parameters()))
