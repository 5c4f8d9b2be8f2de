"""Adversarial losses as pure functions of discriminator logits, and a thin module wrapper.

Kinds: ``vanilla`` (BCE with logits), ``lsgan`` (MSE to 1/0), ``hinge``, ``wgan`` (use with
:func:`gradient_penalty`), ``relativistic`` (relativistic average GAN, as ESRGAN). The discriminator loss is
real term + fake term; tasks apply their own weights (CycleGAN halves it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

GAN_KINDS = ("vanilla", "lsgan", "hinge", "wgan", "relativistic")


def _target_like(logits: torch.Tensor, value: float) -> torch.Tensor:
    return torch.full_like(logits, value)


def generator_adversarial_loss(kind: str, fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """The generator's adversarial loss (scalar).

    Args:
        kind: one of :data:`GAN_KINDS`.
        fake_logits: D's raw scores on generated images, any shape.
        real_logits: D's scores on real images; required by ``relativistic`` (detach them when D is frozen).
    """
    if kind == "vanilla":
        return F.binary_cross_entropy_with_logits(fake_logits, _target_like(fake_logits, 1.0))
    if kind == "lsgan":
        return F.mse_loss(fake_logits, _target_like(fake_logits, 1.0))
    if kind in ("hinge", "wgan"):
        return -fake_logits.mean()
    if kind == "relativistic":
        if real_logits is None:
            raise ValueError("relativistic GAN loss needs real_logits")
        real_rel = real_logits - fake_logits.mean()
        fake_rel = fake_logits - real_logits.mean()
        return 0.5 * (
            F.binary_cross_entropy_with_logits(real_rel, _target_like(real_rel, 0.0))
            + F.binary_cross_entropy_with_logits(fake_rel, _target_like(fake_rel, 1.0))
        )
    raise ValueError(f"unknown GAN loss {kind!r}; expected one of {GAN_KINDS}")


def discriminator_adversarial_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: real term + fake term (scalar). Pass detached fakes."""
    if kind == "vanilla":
        return F.binary_cross_entropy_with_logits(real_logits, _target_like(real_logits, 1.0)) + F.binary_cross_entropy_with_logits(
            fake_logits, _target_like(fake_logits, 0.0)
        )
    if kind == "lsgan":
        return F.mse_loss(real_logits, _target_like(real_logits, 1.0)) + F.mse_loss(fake_logits, _target_like(fake_logits, 0.0))
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    if kind == "wgan":
        return fake_logits.mean() - real_logits.mean()
    if kind == "relativistic":
        real_rel = real_logits - fake_logits.mean()
        fake_rel = fake_logits - real_logits.mean()
        return 0.5 * (
            F.binary_cross_entropy_with_logits(real_rel, _target_like(real_rel, 1.0))
            + F.binary_cross_entropy_with_logits(fake_rel, _target_like(fake_rel, 0.0))
        )
    raise ValueError(f"unknown GAN loss {kind!r}; expected one of {GAN_KINDS}")


def gradient_penalty(discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP penalty E[(||grad_x D(x)||_2 - 1)^2] at random interpolates of real and (detached) fake.

    Returns a scalar that carries gradients into ``discriminator`` (create_graph=True), so adding
    ``weight * penalty`` to the D loss really trains D towards 1-Lipschitz (the reference never applies it).
    """
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype, generator=generator)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = discriminator(mixed)
    (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grads.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()


class GANLoss(nn.Module):
    """Module wrapper holding the loss kind: ``loss.generator(fake, real)`` and ``loss.discriminator(real, fake)``."""

    def __init__(self, kind: str = "lsgan"):
        super().__init__()
        if kind not in GAN_KINDS:
            raise ValueError(f"unknown GAN loss {kind!r}; expected one of {GAN_KINDS}")
        self.kind = kind

    def generator(self, fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
        return generator_adversarial_loss(self.kind, fake_logits, real_logits)

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return discriminator_adversarial_loss(self.kind, real_logits, fake_logits)


def discriminator_accuracy(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> float:
    """Share of real scores D calls real and fake scores it calls fake (0.5 = guessing; 1 = D wins everywhere).

    The decision threshold follows the loss: 0 for logits (``vanilla``, ``hinge``, ``wgan``), 0.5 for ``lsgan``'s
    1/0 targets, and the other side's mean for ``relativistic``.
    """
    real, fake = real_logits.detach().float(), fake_logits.detach().float()
    if kind == "relativistic":
        real_right, fake_right = real > fake.mean(), fake < real.mean()
    else:
        threshold = 0.5 if kind == "lsgan" else 0.0
        real_right, fake_right = real > threshold, fake < threshold
    return 0.5 * (real_right.float().mean().item() + fake_right.float().mean().item())
