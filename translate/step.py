"""The CycleGAN step object for the generic loop: G phase (both directions), then D phase on pooled fakes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from common.core.config import config_to_dict
from common.nn.adversarial import GANLoss, gradient_penalty
from common.weights.model_files import save_weights
from translate.cycle_loss import cycle_loss
from translate.models import MODEL_KIND, ResnetGenerator
from translate.diagnostics import discriminator_accuracy, input_correlation, mean_change, training_warnings
from translate.pool import ImagePool


class CycleGenerators(nn.Module):
    """Both generators as one module, so DDP and EMA see one forward: returns every G output of an iteration."""

    def __init__(self, a2b: ResnetGenerator, b2a: ResnetGenerator):
        super().__init__()
        self.a2b, self.b2a = a2b, b2a

    def forward(self, real_a: torch.Tensor, real_b: torch.Tensor, identity: bool = False) -> dict[str, torch.Tensor]:
        if identity and self.a2b.config.norm != "batch" and real_a.shape == real_b.shape:
            # One batch-2 pass per generator instead of two batch-1 passes; exact, since instance norm (or
            # none) treats each image alone. Batch norm would mix the two, so it keeps separate passes, as do
            # images of two sizes (--preprocess none).
            count = real_a.shape[0]
            fake_b, idt_b = self.a2b(torch.cat([real_a, real_b])).split(count)
            fake_a, idt_a = self.b2a(torch.cat([real_b, real_a])).split(count)
        else:
            fake_b, fake_a = self.a2b(real_a), self.b2a(real_b)
            if identity:
                idt_b, idt_a = self.a2b(real_b), self.b2a(real_a)
        out = {"fake_b": fake_b, "fake_a": fake_a, "rec_a": self.b2a(fake_b), "rec_b": self.a2b(fake_a)}
        if identity:
            out["idt_b"], out["idt_a"] = idt_b, idt_a
        return out


class CycleDiscriminators(nn.Module):
    """D_A (judges domain A) and D_B; ``forward`` scores real and fake of both domains in one call."""

    def __init__(self, d_a: nn.Module, d_b: nn.Module):
        super().__init__()
        self.d_a, self.d_b = d_a, d_b

    def forward(self, real_a: torch.Tensor, fake_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.d_a(real_a), self.d_a(fake_a), self.d_b(real_b), self.d_b(fake_b)


def linear_decay_factor(step: int, steps_per_epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """The reference schedule: constant for ``n_epochs``, then linear decay towards 0 over ``n_epochs_decay``;
    0 past the end (the reference formula would turn negative there: gradient ascent)."""
    epoch = step // max(steps_per_epoch, 1)
    return max(0.0, 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1))


def grid_of_columns(columns: list[torch.Tensor]) -> torch.Tensor:
    """A sample grid: row i holds sample i of every column side by side; (B, C, H, W) in [-1, 1] -> (C, B*H, k*W) in [0, 1]."""
    rows = [torch.cat([column[i] for column in columns], dim=-1) for i in range(columns[0].shape[0])]
    return (torch.cat(rows, dim=-2) + 1) / 2


def schedule_length(config, steps_per_epoch: int) -> int:
    """Steps of a config's schedule: ``n_steps + n_steps_decay`` when set, else its epochs in steps."""
    if config.n_steps + config.n_steps_decay > 0:
        return config.n_steps + config.n_steps_decay
    return steps_per_epoch * (config.n_epochs + config.n_epochs_decay)


def schedule_factor(config, steps_per_epoch: int):
    """The learning-rate factor of step ``step`` under a config's schedule (in steps when ``n_steps`` is set)."""
    if config.n_steps + config.n_steps_decay > 0:
        return lambda step: linear_decay_factor(step, 1, config.n_steps, config.n_steps_decay)
    return lambda step: linear_decay_factor(step, steps_per_epoch, config.n_epochs, config.n_epochs_decay)


class CycleGANStep:
    """Zhu et al.'s objective: GAN (both directions) + lambda x cycle L1 (+ optional identity L1), D halved.

    Args:
        generators / discriminators: the two containers above.
        optimizer_g / optimizer_d, scheduler_g / scheduler_d: one each for both G and both D (as the reference).
        gan_loss: ``lsgan`` (reference), ``vanilla``, ``hinge`` or ``wgan`` (with a real gradient penalty).
        lambda_cycle: weight of each cycle loss (10).
        lambda_identity: identity weight as a fraction of lambda_cycle (0.5 when on, 0 = off).
        cycle_lowpass: compare reconstructions with the originals after a Gaussian low-pass of this many px
            (0: pixel for pixel, as the reference); see :mod:`translate.cycle_loss`.
        gp_weight: WGAN-GP penalty weight (used with ``wgan``).
        pool_size: fakes kept per direction (50).
        names: domain names for exported files (``summer``, ``winter``).
        export_metadata: extra fields for each exported generator's JSON (e.g. the preset).
    """

    def __init__(self, generators: CycleGenerators, discriminators: CycleDiscriminators, optimizer_g, optimizer_d, scheduler_g, scheduler_d,
                 gan_loss: str = "lsgan", lambda_cycle: float = 10.0, lambda_identity: float = 0.0, gp_weight: float = 10.0,
                 pool_size: int = 50, names: tuple[str, str] = ("A", "B"), export_metadata: dict[str, Any] | None = None,
                 cycle_lowpass: float = 0.0):
        self.nets: dict[str, nn.Module] = {"generator": generators, "discriminator": discriminators}
        self.wrapped = dict(self.nets)
        self.optimizers = {"generator": optimizer_g, "discriminator": optimizer_d}
        self.schedulers = {"generator": scheduler_g, "discriminator": scheduler_d}
        self.gan_loss = GANLoss(gan_loss)
        self.lambda_cycle, self.lambda_identity, self.gp_weight = lambda_cycle, lambda_identity, gp_weight
        self.pool_a, self.pool_b = ImagePool(pool_size), ImagePool(pool_size)
        self.names = names
        self.cycle_lowpass = cycle_lowpass
        self.export_metadata = export_metadata or {}

    def run(self, batch: dict[str, torch.Tensor], step: int, autocast: Any) -> dict[str, float]:
        real_a, real_b = batch["a"], batch["b"]
        discriminators: CycleDiscriminators = self.nets["discriminator"]
        use_identity = self.lambda_identity > 0

        # G phase: D frozen and called unwrapped (no DDP gradient sync for D here).
        discriminators.requires_grad_(False)
        with autocast():
            out = self.wrapped["generator"](real_a, real_b, identity=use_identity)
            gan_a2b = self.gan_loss.generator(discriminators.d_b(out["fake_b"]).float())
            gan_b2a = self.gan_loss.generator(discriminators.d_a(out["fake_a"]).float())
            cycle_a = cycle_loss(out["rec_a"].float(), real_a, self.cycle_lowpass) * self.lambda_cycle
            cycle_b = cycle_loss(out["rec_b"].float(), real_b, self.cycle_lowpass) * self.lambda_cycle
            loss_g = gan_a2b + gan_b2a + cycle_a + cycle_b
            logs = {"g_a2b": gan_a2b.item(), "g_b2a": gan_b2a.item(), "cycle_a": cycle_a.item(), "cycle_b": cycle_b.item()}
            if use_identity:
                weight = self.lambda_cycle * self.lambda_identity
                idt = (F.l1_loss(out["idt_b"].float(), real_b) + F.l1_loss(out["idt_a"].float(), real_a)) * weight
                loss_g = loss_g + idt
                logs["identity"] = idt.item()
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()

        # D phase on pooled, detached fakes from before this G update.
        discriminators.requires_grad_(True)
        fake_a, fake_b = self.pool_a.query(out["fake_a"].detach()), self.pool_b.query(out["fake_b"].detach())
        with autocast():
            real_a_score, fake_a_score, real_b_score, fake_b_score = self.wrapped["discriminator"](real_a, fake_a, real_b, fake_b)
            loss_d_a = 0.5 * self.gan_loss.discriminator(real_a_score.float(), fake_a_score.float())
            loss_d_b = 0.5 * self.gan_loss.discriminator(real_b_score.float(), fake_b_score.float())
        loss_d = loss_d_a + loss_d_b
        if self.gan_loss.kind == "wgan":
            penalty = gradient_penalty(discriminators.d_a, real_a, fake_a) + gradient_penalty(discriminators.d_b, real_b, fake_b)
            loss_d = loss_d + self.gp_weight * penalty
            logs["gradient_penalty"] = penalty.item()
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()
        for scheduler in self.schedulers.values():
            scheduler.step()
        logs.update(d_a=loss_d_a.item(), d_b=loss_d_b.item())
        return {**logs, **self._diagnostics(real_a, real_b, out, (real_a_score, fake_a_score, real_b_score, fake_b_score))}

    def _diagnostics(self, real_a: torch.Tensor, real_b: torch.Tensor, out: dict[str, torch.Tensor], scores: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """How far translations move from their inputs, whether they keep its tones, the raw cycle error and
        how often D is right; see :mod:`translate.diagnostics`."""
        a, b = self.names
        real_a_score, fake_a_score, real_b_score, fake_b_score = scores
        right_real_a, right_fake_a = discriminator_accuracy(real_a_score, fake_a_score, self.gan_loss.kind)
        right_real_b, right_fake_b = discriminator_accuracy(real_b_score, fake_b_score, self.gan_loss.kind)
        return {
            f"change_{a}2{b}": mean_change(real_a, out["fake_b"]), f"change_{b}2{a}": mean_change(real_b, out["fake_a"]),
            f"corr_{a}2{b}": input_correlation(real_a, out["fake_b"]), f"corr_{b}2{a}": input_correlation(real_b, out["fake_a"]),
            "cycle_error": (mean_change(real_a, out["rec_a"]) + mean_change(real_b, out["rec_b"])) / 2,
            "d_acc_real": (right_real_a + right_real_b) / 2, "d_acc_fake": (right_fake_a + right_fake_b) / 2,
        }

    def warnings(self, record: dict[str, float]) -> list[str]:
        return training_warnings(record, self.names)

    def extra_state(self) -> dict[str, Any]:
        return {"pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        device = next(self.nets["generator"].parameters()).device
        self.pool_a.load_state_dict(state["pool_a"], device)
        self.pool_b.load_state_dict(state["pool_b"], device)

    @property
    def sample_columns(self) -> tuple[str, ...]:
        a, b = self.names
        return (f"real {a}", f"{a} -> {b}", f"{a} -> {b} -> {a}", f"real {b}", f"{b} -> {a}", f"{b} -> {a} -> {b}")

    def sample_grid(self, generators: nn.Module, fixed_batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Rows per sample: real A | A->B | A->B->A | real B | B->A | B->A->B, in [0, 1]."""
        was_training = generators.training
        generators.eval()
        out = generators(fixed_batch["a"], fixed_batch["b"])
        generators.train(was_training)
        return grid_of_columns([fixed_batch["a"], out["fake_b"], out["rec_a"], fixed_batch["b"], out["fake_a"], out["rec_b"]])

    def validate(self, generators: nn.Module) -> dict[str, float]:
        return {}

    def export(self, generators: nn.Module, run_dir: Path, step: int) -> None:
        name_a, name_b = self.names
        for direction, module in ((f"{name_a}2{name_b}", generators.a2b), (f"{name_b}2{name_a}", generators.b2a)):
            save_weights(module, run_dir / f"{direction}.safetensors", MODEL_KIND, config_to_dict(module.config),
                         {"task": "translate", "direction": direction, "domains": [name_a, name_b], "step": step, **self.export_metadata})
