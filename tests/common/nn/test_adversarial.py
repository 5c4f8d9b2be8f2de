import math

import pytest
import torch
from torch import nn

from common.nn.adversarial import GAN_KINDS, GANLoss, discriminator_adversarial_loss, generator_adversarial_loss, gradient_penalty


def test_known_values():
    ones, zeros = torch.ones(4), torch.zeros(4)
    assert generator_adversarial_loss("lsgan", ones).item() == 0.0
    assert discriminator_adversarial_loss("lsgan", ones, zeros).item() == 0.0
    assert discriminator_adversarial_loss("lsgan", zeros, ones).item() == 2.0
    assert generator_adversarial_loss("vanilla", zeros).item() == pytest.approx(math.log(2))
    assert discriminator_adversarial_loss("hinge", ones * 2, -ones * 2).item() == 0.0
    assert discriminator_adversarial_loss("wgan", ones * 3, ones).item() == -2.0
    assert generator_adversarial_loss("hinge", ones * 3).item() == -3.0


def test_relativistic_needs_real_logits_and_is_symmetric():
    with pytest.raises(ValueError):
        generator_adversarial_loss("relativistic", torch.zeros(3))
    real, fake = torch.randn(8), torch.randn(8)
    assert generator_adversarial_loss("relativistic", fake, real).item() == pytest.approx(
        discriminator_adversarial_loss("relativistic", fake, real).item()
    )


@pytest.mark.parametrize("kind", GAN_KINDS)
def test_module_wrapper_matches_functions(kind):
    real, fake = torch.randn(5), torch.randn(5)
    loss = GANLoss(kind)
    assert loss.discriminator(real, fake).item() == pytest.approx(discriminator_adversarial_loss(kind, real, fake).item())
    assert loss.generator(fake, real).item() == pytest.approx(generator_adversarial_loss(kind, fake, real).item())


def test_gradient_penalty_trains_the_discriminator():
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 1))
    nn.init.constant_(critic[1].weight, 2.0)  # gradient norm 2*sqrt(12) >> 1: penalty is large
    real, fake = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    penalty = gradient_penalty(critic, real, fake)
    expected = (2 * math.sqrt(12) - 1) ** 2
    assert penalty.item() == pytest.approx(expected, rel=1e-5)
    penalty.backward()
    assert critic[1].weight.grad is not None and critic[1].weight.grad.abs().sum() > 0


def test_unknown_kind():
    with pytest.raises(ValueError):
        GANLoss("nope")
