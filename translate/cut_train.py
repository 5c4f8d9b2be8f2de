"""CUT and FastCUT training (Park et al., ECCV 2020): their recipes as a frozen config, run by the generic loop
on the same data, generator and discriminator as CycleGAN."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from common.core.errors import UserError
from common.nn.discriminators import PatchGANConfig, PatchGANDiscriminator
from common.train.loop import LoopConfig, fit
from translate.data import training_data
from translate.cut_step import CUTNetworks, CUTStep, PairedScores, encoder_features
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.patchnce import NCE_LAYERS, NCE_TEMPERATURE, PatchProjection
from translate.step import schedule_factor, schedule_length
from translate.train import prepare_unpaired, with_schedule_length

METHODS = ("cut", "fastcut")
# The paper's two settings (CUT's options --CUT_mode CUT / FastCUT).
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "cut": {"lambda_nce": 1.0, "nce_identity": True, "flip_equivariance": False, "n_epochs": 200, "n_epochs_decay": 200},
    "fastcut": {"lambda_nce": 10.0, "nce_identity": False, "flip_equivariance": True, "n_epochs": 150, "n_epochs_decay": 50},
}


@dataclass(frozen=True)
class CUTConfig:
    """Task settings (saved in checkpoints). Defaults are CUT's; :func:`cut_config` fills FastCUT's.

    Attributes:
        method: ``cut`` or ``fastcut``; data / domains / generator / discriminator / preprocessing: as CycleGAN's.
        lambda_gan / lambda_nce: 1 and 1 (FastCUT: 10); nce_identity: PatchNCE on G(b) too (FastCUT: off).
        flip_equivariance: FastCUT's mirrored inputs; nce_layers: encoder layers PatchNCE reads (see
            :data:`translate.patchnce.NCE_LAYERS`); num_patches: 256 per layer; nce_temperature: 0.07.
        lr / beta1 / n_epochs / n_epochs_decay: Adam 2e-4 (0.5, 0.999), 200 + 200 epochs (FastCUT 150 + 50).
        n_steps / n_steps_decay: a schedule in steps instead of epochs, when their sum is above 0.
    """

    data: str
    method: str = "cut"
    domains: tuple[str, str] = ("A", "B")
    generator: ResnetGeneratorConfig = field(default_factory=ResnetGeneratorConfig)
    discriminator: PatchGANConfig = field(default_factory=PatchGANConfig)
    gan_loss: str = "lsgan"
    lambda_gan: float = 1.0
    lambda_nce: float = 1.0
    nce_identity: bool = True
    flip_equivariance: bool = False
    nce_layers: tuple[int, ...] = NCE_LAYERS
    num_patches: int = 256
    nce_temperature: float = NCE_TEMPERATURE
    projection_dim: int = 256
    lr: float = 2e-4
    beta1: float = 0.5
    n_epochs: int = 200
    n_epochs_decay: int = 200
    n_steps: int = 0
    n_steps_decay: int = 0
    load_size: int = 286
    crop_size: int = 256
    flip: bool = True
    preprocess: str = "resize_and_crop"
    preset: str = "reference"


def cut_config(method: str, data: str, **overrides: Any) -> CUTConfig:
    """The paper's settings of ``method`` (``cut`` or ``fastcut``) with ``overrides``."""
    if method not in METHOD_DEFAULTS:
        raise UserError(f"--method {method}: expected cyclegan, {' or '.join(METHODS)}")
    return CUTConfig(data=data, method=method, **{**METHOD_DEFAULTS[method], **overrides})


def projection_channels(generator: ResnetGenerator, layers: tuple[int, ...]) -> tuple[int, ...]:
    """Channels of the generator's features at ``layers`` (read from a 16x16 forward, so any layout is right)."""
    with torch.no_grad():
        features = encoder_features(generator, torch.zeros(1, generator.config.in_channels, 16, 16), layers)
    return tuple(f.shape[1] for f in features)


def build_cut_step(config: CUTConfig, steps_per_epoch: int, device: torch.device) -> CUTStep:
    if max(config.nce_layers) >= 10 + config.generator.n_blocks:
        raise UserError(f"nce layers {config.nce_layers}: the encoder of a {config.generator.n_blocks}-block generator ends at layer "
                        f"{9 + config.generator.n_blocks}")
    generator = ResnetGenerator(config.generator)
    projection = PatchProjection(projection_channels(generator, config.nce_layers), config.projection_dim)
    networks = CUTNetworks(generator, projection, config.nce_layers, config.num_patches, config.nce_temperature).to(device)
    discriminator = PairedScores(PatchGANDiscriminator(config.discriminator)).to(device)
    betas = (config.beta1, 0.999)
    optimizer_g = torch.optim.Adam(networks.parameters(), lr=config.lr, betas=betas)  # G and the heads: CUT's two Adams, as one
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr, betas=betas)
    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, schedule_factor(config, steps_per_epoch)) for opt in (optimizer_g, optimizer_d)]
    return CUTStep(networks, discriminator, optimizer_g, optimizer_d, *schedulers, gan_loss=config.gan_loss, lambda_gan=config.lambda_gan,
                   lambda_nce=config.lambda_nce, nce_identity=config.nce_identity, flip_equivariance=config.flip_equivariance,
                   names=tuple(config.domains), export_metadata={"method": config.method, "preset": config.preset, **training_data(config)})


def train_cut(config: CUTConfig, loop_config: LoopConfig, run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train CUT or FastCUT (one direction, domains[0] -> domains[1]); ``loop_config.max_steps`` of 0 runs the schedule.

    Raises:
        UserError: missing/empty domain folders or bad options.
        common.train.loop.TrainingInterrupted: SIGINT/SIGTERM (a checkpoint was saved).
    """
    data = prepare_unpaired(config, loop_config)
    loop_config = with_schedule_length(data.loop_config, schedule_length(config, data.steps_per_epoch))
    step = build_cut_step(config, data.steps_per_epoch, data.device)
    return fit(step, data.dataset, run_dir, loop_config, config, fixed_batch=data.fixed, resume=resume, device=data.device)
