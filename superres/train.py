"""Super-resolution training: build the step object from a frozen config and run the generic loop."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.degrade.config import DegradationConfig
from common.nn.discriminators import SRGANDiscriminator, SRGANDiscriminatorConfig
from common.nn.perceptual import PerceptualLoss
from common.nn.unet_discriminator import UNetDiscriminator, UNetDiscriminatorConfig
from common.train.loop import LoopConfig, fit, prepare_device
from superres.data import SRTrainDataset, load_eval_set
from superres.architectures import SRConfig, build_sr_model
from superres.models import SRResNetConfig
from superres.schedules import cosine_scheduler
from superres.pretrained import load_sr_model
from superres.step import FIXED_SAMPLE_ID, SRStep


@dataclass(frozen=True)
class SRTrainConfig:
    """Everything task-specific about an SR run (saved in its checkpoints).

    Attributes:
        data: folder of HR training images.
        stage: ``pretrain`` (pixel loss only) or ``gan`` (pixel + perceptual + adversarial).
        model: generator architecture, any :data:`superres.architectures.SRConfig` (ignored when ``init`` is
            given: the run takes the architecture of ``init``).
        init: run directory or weights file to start the generator from (required for ``gan``).
        hr_size: HR crop size (LR patch = hr_size / scale).
        lr / lr_d: Adam learning rates of G and D.
        schedule: ``cosine`` (to 1% at the end), ``step`` (x0.1 at half way, SRGAN's recipe) or ``constant``.
        pixel_loss / pixel_weight: ``l1`` or ``mse`` and its weight.
        perceptual_weight / vgg_weights / vgg_arch: VGG content loss (gan stage); the architecture is read from
            the weights file (``auto``) or must match it.
        perceptual_layers: ``realesrgan`` (five layers, 0.1/0.1/1/1/1), ``vgg54`` (SRGAN's single layer) or
            explicit ``(layer, weight)`` pairs; resolved to pairs for the weights' architecture when the run is
            built, and saved so.
        perceptual_criterion: ``l1`` or ``mse`` between features.
        perceptual_scale: features are divided by it; None reads it from the weights file (1 for torchvision's
            VGGs, about 57.6 for Caffe-converted ones), and the run saves the value used.
        discriminator: ``unet`` (Real-ESRGAN's per-pixel U-Net with spectral norm) or ``vgg`` (SRGAN's classifier).
        gan_loss / adversarial_weight: adversarial loss kind and weight (gan stage).
        sharpen_loss_targets: unsharp-mask the HR for the pixel and perceptual losses (not for D).
        gan_patience: steps D may stay at accuracy 0 or 1 before the stage stops (0: never).
        val: optional validation folder (Y-PSNR/SSIM logged).
        degradation: None trains on MATLAB-bicubic LR (the protocol); a :class:`DegradationConfig` trains on
            real-world degradations (blur, resizing, noise, JPEG), saved with the model.
    """

    data: str
    model: SRConfig = field(default_factory=SRResNetConfig)
    stage: str = "pretrain"
    init: str | None = None
    hr_size: int = 128
    lr: float = 2e-4
    lr_d: float = 1e-4
    schedule: str = "cosine"
    pixel_loss: str = "l1"
    pixel_weight: float = 1.0
    perceptual_weight: float = 1.0
    perceptual_layers: str | tuple[tuple[str, float], ...] = "vgg54"
    perceptual_criterion: str = "l1"
    perceptual_scale: float | None = None
    vgg_weights: str | None = None
    vgg_arch: str = "auto"
    discriminator: str = "vgg"
    gan_loss: str = "relativistic"
    adversarial_weight: float = 5e-3
    sharpen_loss_targets: bool = False
    gan_patience: int = 2000
    val: str | None = None
    degradation: DegradationConfig | None = None


GAN_RECIPES = ("realesrgan", "esrgan")


def gan_recipe(data: str, init: str, recipe: str = "realesrgan", **overrides: Any) -> SRTrainConfig:
    """The second (GAN) stage, started from a pixel-loss model ``init``.

    - ``realesrgan`` (Real-ESRGAN's published stage): L1 1.0 + perceptual 1.0 (five VGG layers) + vanilla GAN 0.1
      on the U-Net discriminator, Adam 1e-4 (0.9, 0.99) for both nets at a constant rate, unsharp-masked targets
      for the pixel and perceptual losses. Use it with the realistic degradations.
    - ``esrgan`` (ESRGAN as BasicSR trains it): L1 1e-2 + VGG conv5_4 1.0 + relativistic GAN 5e-3 on the SRGAN
      classifier, Adam 1e-4, x0.1 at half way.
    """
    recipes = {
        "realesrgan": dict(pixel_weight=1.0, perceptual_weight=1.0, perceptual_layers="realesrgan", discriminator="unet",
                           gan_loss="vanilla", adversarial_weight=0.1, schedule="constant", sharpen_loss_targets=True),
        "esrgan": dict(pixel_weight=1e-2, perceptual_weight=1.0, perceptual_layers="vgg54", discriminator="vgg",
                       gan_loss="relativistic", adversarial_weight=5e-3, schedule="step"),
    }
    if recipe not in recipes:
        raise UserError(f"--recipe {recipe}: expected one of {', '.join(GAN_RECIPES)}")
    defaults = dict(stage="gan", init=init, lr=1e-4, lr_d=1e-4, **recipes[recipe])
    return SRTrainConfig(data=data, **{**defaults, **overrides})


def _scheduler(optimizer: torch.optim.Optimizer, kind: str, max_steps: int) -> Any:
    if kind == "cosine":
        return cosine_scheduler(optimizer, max_steps)
    if kind == "step":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[max(1, max_steps // 2)], gamma=0.1)
    if kind == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    raise UserError(f"unknown schedule {kind!r}; expected cosine, step or constant")


def _check(config: SRTrainConfig) -> None:
    scale = config.model.scale
    if config.stage not in ("pretrain", "gan"):
        raise UserError(f"--stage {config.stage}: expected pretrain or gan")
    if config.hr_size % scale:
        raise UserError(f"--hr-size {config.hr_size} is not a multiple of --scale {scale}")
    if config.stage == "gan" and not config.init:
        raise UserError("--stage gan needs --init RUN (a pretrained generator)")
    if config.discriminator not in ("unet", "vgg"):
        raise UserError(f"--discriminator {config.discriminator}: expected unet or vgg")
    if config.stage == "gan" and config.discriminator == "unet" and config.hr_size % UNetDiscriminatorConfig().size_multiple():
        raise UserError(f"--hr-size {config.hr_size}: the U-Net discriminator needs a multiple of {UNetDiscriminatorConfig().size_multiple()}")


def build_sr_step(config: SRTrainConfig, loop_config: LoopConfig, device: torch.device) -> tuple[SRStep, SRTrainConfig]:
    """Create networks, optimizers and losses; returns the step and the config with the effective model."""
    _check(config)
    if config.init:
        generator, meta = load_sr_model(config.init)
        generator.requires_grad_(True)  # loaded models come frozen for inference; this one is trained
        if generator.config.scale != config.model.scale:
            raise UserError(f"{config.init}: a x{generator.config.scale} model cannot start a x{config.model.scale} run (--scale)")
        config = dataclasses.replace(config, model=generator.config)
    else:
        generator = build_sr_model(config.model)
    generator.to(device)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=(0.9, 0.99))
    kwargs: dict[str, Any] = {}
    if config.stage == "gan":
        kwargs, config = _gan_parts(config, loop_config, device)
    eval_pairs = load_eval_set(config.val, config.model.scale) if config.val else []
    # The folder's name, not its path: a model file should not carry the trainer's home directory.
    metadata: dict[str, Any] = {"stage": config.stage, "degradation": "bicubic", "training_data": Path(config.data).name}
    if config.degradation is not None:
        metadata.update(degradation="realistic", degradation_settings=config_to_dict(config.degradation))
    step = SRStep(
        generator, config.model.scale, optimizer_g, _scheduler(optimizer_g, config.schedule, loop_config.max_steps),
        config.pixel_loss, config.pixel_weight, eval_pairs=eval_pairs, extra_export_metadata=metadata,
        degradation=config.degradation, seed=loop_config.seed, sharpen_loss_targets=config.sharpen_loss_targets,
        gan_patience=config.gan_patience, **kwargs,
    )
    return step, config


def _gan_parts(config: SRTrainConfig, loop_config: LoopConfig, device: torch.device) -> tuple[dict[str, Any], SRTrainConfig]:
    """Discriminator, its optimiser and schedule, and the perceptual loss; the config with the resolved layers."""
    channels = config.model.in_channels
    if config.discriminator == "unet":
        discriminator = UNetDiscriminator(UNetDiscriminatorConfig(in_channels=channels)).to(device)
    else:
        discriminator = SRGANDiscriminator(SRGANDiscriminatorConfig(in_channels=channels, input_size=config.hr_size)).to(device)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=(0.9, 0.99))
    layers = config.perceptual_layers
    perceptual = PerceptualLoss.from_pretrained(
        config.vgg_weights, layers if isinstance(layers, str) else tuple(tuple(pair) for pair in layers), config.vgg_arch,
        config.perceptual_criterion, config.perceptual_scale,
    ).to(device)
    config = dataclasses.replace(config, vgg_arch=perceptual.arch, perceptual_layers=perceptual.layers, perceptual_scale=perceptual.scale)
    kwargs = dict(
        discriminator=discriminator, optimizer_d=optimizer_d, scheduler_d=_scheduler(optimizer_d, config.schedule, loop_config.max_steps),
        perceptual=perceptual, perceptual_weight=config.perceptual_weight, gan_loss=config.gan_loss,
        adversarial_weight=config.adversarial_weight,
    )
    return kwargs, config


def train_sr(config: SRTrainConfig, loop_config: LoopConfig, run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train an SR generator; see :class:`SRTrainConfig`. Returns the last logged metrics.

    Raises:
        UserError: bad data folder, options or init model.
        common.train.loop.TrainingInterrupted: SIGINT/SIGTERM (a checkpoint was saved).
    """
    _check(config)
    device = prepare_device(loop_config)
    dataset = SRTrainDataset(config.data, config.hr_size, loop_config.seed)
    step, config = build_sr_step(config, loop_config, device)
    # Fixed sample batch: the same four crops every time (ids far beyond any training id).
    fixed = torch.stack([dataset[FIXED_SAMPLE_ID + i] for i in range(min(4, len(dataset)))])
    return fit(step, dataset, run_dir, loop_config, config, fixed_batch=fixed, resume=resume, device=device)
