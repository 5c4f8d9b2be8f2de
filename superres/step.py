"""The super-resolution step object for the generic loop: ``pretrain`` (pixel loss) and ``gan`` stages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from common.core.config import config_to_dict
from common.degrade.config import DegradationConfig
from common.degrade.matlab_bicubic import imresize
from common.degrade.second_order import degrade, sharpen
from common.nn.adversarial import GANLoss, discriminator_accuracy
from common.train.gan_health import DiscriminatorWatch, check_finite_losses
from common.train.loop import step_sample_ids
from common.weights.model_files import save_weights
from superres.data import EvalImage
from superres.evaluate import evaluate, mean_scores, torch_model_upscaler
from superres.architectures import SRModel, model_kind


def make_lr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """HR uint8 (B, 3, S, S) -> (LR, HR) floats in [0, 1]; LR by MATLAB bicubic, quantised to 8 bits like a real
    LR image (as the evaluation protocol's LR is)."""
    hr_float = hr.to(torch.float32) / 255.0
    lr = imresize(hr_float, 1.0 / scale).clamp(0, 1)
    return (lr * 255).round() / 255, hr_float


FIXED_SAMPLE_ID = 10**12  # ids of the fixed sample crops, far beyond any training id (as the dataset's)


def make_pair(hr: torch.Tensor, scale: int, degradation: DegradationConfig | None, sample_ids: list[int], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """HR uint8 (B, 3, S, S) -> (LR, target) floats in [0, 1]: bicubic when ``degradation`` is None, else the
    second-order real-world model seeded by the sample ids."""
    if degradation is None:
        return make_lr(hr, scale)
    return degrade(hr.to(torch.float32) / 255.0, scale, degradation, sample_ids, seed)


def pixel_loss(kind: str, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if kind == "l1":
        return F.l1_loss(prediction, target)
    if kind == "mse":
        return F.mse_loss(prediction, target)
    raise ValueError(f"unknown pixel loss {kind!r}; expected 'l1' or 'mse'")


class SRStep:
    """Pretrain: G minimises the pixel loss. GAN: G minimises pixel + perceptual + adversarial, then D steps.

    Args:
        generator: the SR generator being trained.
        scale: upscaling factor.
        optimizer_g / scheduler_g: generator optimisation.
        pixel_loss_kind / pixel_weight: pixel loss and its weight.
        discriminator, optimizer_d, scheduler_d, perceptual, perceptual_weight, gan_loss, adversarial_weight:
            only for the ``gan`` stage (None in pretrain).
        eval_pairs: validation pairs (may be empty).
        degradation: real-world degradation settings; None trains on MATLAB-bicubic LR.
        seed: run seed (with the sample ids, it decides every degradation).
        sharpen_loss_targets: pixel and perceptual losses compare with the unsharp-masked HR (Real-ESRGAN's
            ``gt_usm``); the discriminator still sees the HR as it is.
        gan_patience: steps D's accuracy may stay pinned at 0 or 1 before the stage stops (0: never stops).
    """

    def __init__(
        self,
        generator: SRModel,
        scale: int,
        optimizer_g: torch.optim.Optimizer,
        scheduler_g: Any,
        pixel_loss_kind: str = "l1",
        pixel_weight: float = 1.0,
        discriminator: nn.Module | None = None,
        optimizer_d: torch.optim.Optimizer | None = None,
        scheduler_d: Any = None,
        perceptual: nn.Module | None = None,
        perceptual_weight: float = 1.0,
        gan_loss: str = "relativistic",
        adversarial_weight: float = 5e-3,
        eval_pairs: list[EvalImage] | None = None,
        extra_export_metadata: dict[str, Any] | None = None,
        degradation: DegradationConfig | None = None,
        seed: int = 0,
        sharpen_loss_targets: bool = False,
        gan_patience: int = 2000,
    ):
        self.scale = scale
        self.pixel_loss_kind, self.pixel_weight = pixel_loss_kind, pixel_weight
        self.nets: dict[str, nn.Module] = {"generator": generator}
        self.optimizers = {"generator": optimizer_g}
        self.schedulers = {"generator": scheduler_g}
        self.gan = discriminator is not None
        if self.gan:
            self.nets["discriminator"] = discriminator
            self.optimizers["discriminator"] = optimizer_d
            self.schedulers["discriminator"] = scheduler_d
        self.wrapped = dict(self.nets)
        self.perceptual, self.perceptual_weight = perceptual, perceptual_weight
        self.gan_loss, self.adversarial_weight = GANLoss(gan_loss), adversarial_weight
        self.eval_pairs = eval_pairs or []
        self.extra_export_metadata = extra_export_metadata or {}
        self.degradation, self.seed = degradation, seed
        self.sharpen_loss_targets = sharpen_loss_targets
        self.watch = DiscriminatorWatch(gan_patience)

    def run(self, batch: torch.Tensor, step: int, autocast: Any) -> dict[str, float]:
        lr, hr = make_pair(batch, self.scale, self.degradation, step_sample_ids(step, len(batch)), self.seed)
        target = sharpen(hr) if self.sharpen_loss_targets else hr
        generator = self.wrapped["generator"]
        logs: dict[str, float] = {}

        # Generator phase (D frozen; its raw module is used so DDP does not expect D gradients).
        discriminator = self.nets.get("discriminator")
        if discriminator is not None:
            discriminator.requires_grad_(False)
        with autocast():
            sr = generator(lr)
            loss_pixel = pixel_loss(self.pixel_loss_kind, sr.float(), target)
            loss_g = self.pixel_weight * loss_pixel
            if self.gan:
                loss_perceptual = self.perceptual(sr.float(), target)
                real_logits = discriminator(hr).detach() if self.gan_loss.kind == "relativistic" else None
                loss_adv = self.gan_loss.generator(discriminator(sr).float(), None if real_logits is None else real_logits.float())
                loss_g = loss_g + self.perceptual_weight * loss_perceptual + self.adversarial_weight * loss_adv
                logs.update(loss_perceptual=loss_perceptual.item(), loss_g_adv=loss_adv.item())
        logs["loss_pixel"] = loss_pixel.item()
        check_finite_losses(step + 1, logs)
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()
        self.schedulers["generator"].step()
        if self.gan:
            logs.update(self._discriminator_phase(discriminator, hr, sr.detach(), step, autocast))
        return logs

    def _discriminator_phase(self, discriminator: nn.Module, hr: torch.Tensor, fake: torch.Tensor, step: int, autocast: Any) -> dict[str, float]:
        """One D step on this step's detached fake; logs its loss, mean D(real)/D(fake) and accuracy."""
        discriminator.requires_grad_(True)
        with autocast():
            real_logits = self.wrapped["discriminator"](hr).float()
            fake_logits = self.wrapped["discriminator"](fake).float()
            loss_d = self.gan_loss.discriminator(real_logits, fake_logits)
        logs = {"loss_d": loss_d.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
                "d_fake": torch.sigmoid(fake_logits).mean().item(),
                "d_accuracy": discriminator_accuracy(self.gan_loss.kind, real_logits, fake_logits)}
        check_finite_losses(step + 1, {"loss_d": logs["loss_d"]})
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()
        self.schedulers["discriminator"].step()
        self.watch.update(step + 1, logs["d_accuracy"])
        return logs

    def extra_state(self) -> dict[str, Any]:
        return {"discriminator_watch": self.watch.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "discriminator_watch" in state:  # absent in checkpoints made before the watch existed
            self.watch.load_state_dict(state["discriminator_watch"])

    sample_columns = ("bicubic", "model", "HR (ground truth)")

    def sample_grid(self, generator: nn.Module, fixed_batch: torch.Tensor) -> torch.Tensor:
        """Rows of [bicubic | model | HR] for the fixed HR crops."""
        ids = [FIXED_SAMPLE_ID + i for i in range(len(fixed_batch))]
        lr, hr = make_pair(fixed_batch, self.scale, self.degradation, ids, self.seed)
        was_training = generator.training
        generator.eval()
        sr = generator(lr).clamp(0, 1)
        generator.train(was_training)
        bicubic = imresize(lr, float(self.scale)).clamp(0, 1).to(sr)
        rows = [torch.cat([b, s, h], dim=-1) for b, s, h in zip(bicubic, sr, hr)]
        return torch.cat(rows, dim=-2)

    def validate(self, generator: nn.Module) -> dict[str, float]:
        if not self.eval_pairs:
            return {}
        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        means = mean_scores(evaluate(torch_model_upscaler(generator, device), self.eval_pairs, self.scale))
        generator.train(was_training)
        return {"val_psnr": means["psnr"], "val_ssim": means["ssim"]}

    def export(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        config = generator.config
        save_weights(
            generator, run_dir / "model.safetensors", model_kind(config), config_to_dict(config),
            {"task": "superres", "scale": config.scale, "step": step, **self.extra_export_metadata},
        )
