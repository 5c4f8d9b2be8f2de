"""CycleGAN training: the reference recipe as a frozen config, run by the generic loop."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from common.core.console import log
from common.core.errors import UserError
from common.nn.adversarial import GAN_KINDS
from common.nn.discriminators import PatchGANConfig, PatchGANDiscriminator
from common.train.loop import LoopConfig, fit, prepare_device
from translate.data import training_data
from translate.data import UnpairedDataset, find_domain_folders
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.step import CycleDiscriminators, CycleGANStep, CycleGenerators, schedule_factor, schedule_length


@dataclass(frozen=True)
class CycleGANConfig:
    """Task settings (saved in checkpoints). Defaults are the reference's.

    Attributes:
        data / domains: data root and the two domain names (folders ``<d>``, ``train/<d>`` or ``train<d>``).
        generator / discriminator: architectures.
        gan_loss: lsgan | vanilla | hinge | wgan (gradient penalty really applied, weight ``gp_weight``).
        lambda_cycle / lambda_identity: 10 and 0 (identity, a fraction of lambda_cycle: 0.1 in the default preset;
            the reference code uses 0.5).
        lr / beta1: Adam 2e-4, (0.5, 0.999).
        n_epochs / n_epochs_decay: constant then linear decay (100 + 100).
        load_size / crop_size / flip / preprocess: data preprocessing (286, 256, True, resize_and_crop).
        pool_size: 50.
        cycle_lowpass: Gaussian low-pass (px) applied to both sides of the cycle loss; 0 (reference): none.
        preset: the named recipe these settings started from (see :mod:`translate.presets`); recorded only.
        n_steps / n_steps_decay: a schedule in steps instead of epochs, when their sum is above 0 (the CPU-sized
            defaults use it: epochs of a large folder are far too long there).
    """

    data: str
    domains: tuple[str, str] = ("A", "B")
    generator: ResnetGeneratorConfig = field(default_factory=ResnetGeneratorConfig)
    discriminator: PatchGANConfig = field(default_factory=PatchGANConfig)
    gan_loss: str = "lsgan"
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.0
    gp_weight: float = 10.0
    lr: float = 2e-4
    beta1: float = 0.5
    n_epochs: int = 100
    n_epochs_decay: int = 100
    load_size: int = 286
    crop_size: int = 256
    flip: bool = True
    preprocess: str = "resize_and_crop"
    pool_size: int = 50
    cycle_lowpass: float = 0.0
    preset: str = "reference"
    n_steps: int = 0
    n_steps_decay: int = 0


def build_cyclegan_step(config: CycleGANConfig, steps_per_epoch: int, device: torch.device) -> CycleGANStep:
    if config.gan_loss not in GAN_KINDS or config.gan_loss == "relativistic":
        raise UserError(f"--gan-loss {config.gan_loss}: expected lsgan, vanilla, hinge or wgan")
    generators = CycleGenerators(ResnetGenerator(config.generator), ResnetGenerator(config.generator)).to(device)
    discriminators = CycleDiscriminators(PatchGANDiscriminator(config.discriminator), PatchGANDiscriminator(config.discriminator)).to(device)
    betas = (config.beta1, 0.999)
    optimizer_g = torch.optim.Adam(generators.parameters(), lr=config.lr, betas=betas)
    optimizer_d = torch.optim.Adam(discriminators.parameters(), lr=config.lr, betas=betas)

    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, schedule_factor(config, steps_per_epoch)) for opt in (optimizer_g, optimizer_d)]
    return CycleGANStep(
        generators, discriminators, optimizer_g, optimizer_d, *schedulers, gan_loss=config.gan_loss,
        lambda_cycle=config.lambda_cycle, lambda_identity=config.lambda_identity, gp_weight=config.gp_weight,
        pool_size=config.pool_size, names=tuple(config.domains), export_metadata={"preset": config.preset, **training_data(config)},
        cycle_lowpass=config.cycle_lowpass,
    )


def train_cyclegan(config: CycleGANConfig, loop_config: LoopConfig, run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train CycleGAN; ``loop_config.max_steps`` of 0 means the full schedule ((n_epochs + n_epochs_decay) epochs).

    Raises:
        UserError: missing/empty domain folders or bad options.
        common.train.loop.TrainingInterrupted: SIGINT/SIGTERM (a checkpoint was saved).
    """
    data = prepare_unpaired(config, loop_config)
    loop_config = with_schedule_length(data.loop_config, schedule_length(config, data.steps_per_epoch))
    step = build_cyclegan_step(config, data.steps_per_epoch, data.device)
    return fit(step, data.dataset, run_dir, loop_config, config, fixed_batch=data.fixed, resume=resume, device=data.device)


def with_schedule_length(loop_config: LoopConfig, length: int) -> LoopConfig:
    """``max_steps`` 0 runs the whole schedule; more than it warns that the rate is 0 past its end."""
    if loop_config.max_steps <= 0:
        return replace(loop_config, max_steps=length)
    if loop_config.max_steps > length:
        log(f"[yellow]warning[/] --max-steps {loop_config.max_steps} runs past the learning-rate schedule ({length} steps); "
            "the rate is 0 after that")
    return loop_config


@dataclass(frozen=True)
class UnpairedData:
    """What both translation methods train on: the dataset, its epoch length, the device, the fixed sample batch."""

    dataset: UnpairedDataset
    steps_per_epoch: int
    device: torch.device
    fixed: dict[str, torch.Tensor]
    loop_config: LoopConfig


def prepare_unpaired(config, loop_config: LoopConfig) -> UnpairedData:
    """Check the options, find the domain folders and build the dataset of a CycleGAN or CUT config."""
    _check_options(config, loop_config)
    folders = find_domain_folders(config.data, *config.domains)
    device = prepare_device(loop_config)
    dataset = UnpairedDataset(folders.train_a, folders.train_b, config.load_size, config.crop_size, config.flip, config.preprocess, loop_config.seed)
    if config.preprocess == "none":
        _check_full_resolution_sizes(dataset.paths_a + dataset.paths_b, config)
    steps_per_epoch = max(1, len(dataset) // loop_config.batch_size)
    dataset.description += f"; an epoch is {steps_per_epoch} steps at batch {loop_config.batch_size}"
    return UnpairedData(dataset, steps_per_epoch, device, _fixed_batch(folders, config, loop_config.seed), loop_config)


def _check_options(config, loop_config: LoopConfig) -> None:
    """Refuse option combinations that would otherwise fail later with a traceback."""
    if config.crop_size % 4:
        raise UserError(f"--crop-size {config.crop_size}: must be a multiple of 4 (the generator downsamples twice)")
    if config.crop_size < config.discriminator.min_input_size():
        raise UserError(f"--crop-size {config.crop_size}: the {config.discriminator.n_layers}-layer PatchGAN needs at least "
                        f"{config.discriminator.min_input_size()} px")
    if 4 * getattr(config, "cycle_lowpass", 0.0) > config.crop_size:
        raise UserError(f"--cycle-lowpass {config.cycle_lowpass:g}: at most a quarter of --crop-size {config.crop_size} "
                        "(wider, the cycle loss would compare little more than each image's mean colour)")
    if config.preprocess == "resize_and_crop" and config.crop_size > config.load_size:
        raise UserError(f"--crop-size {config.crop_size}: larger than --load-size {config.load_size}")
    if config.preprocess == "none" and loop_config.batch_size > 1:
        raise UserError("--preprocess none keeps each image's own size, so it needs --batch-size 1")
    if config.preprocess == "none" and config.gan_loss == "wgan":
        raise UserError("--gan-loss wgan mixes real and fake images of one size; with --preprocess none they differ: use --preprocess crop")


def smallest_side_accepted(config) -> int:
    """The smallest image side (after cropping to a multiple of 4) that both networks and the cycle loss accept."""
    generator_min = 8  # the 7x7 reflection pad needs more than 3 pixels, and two halvings leave 2 for the blocks' pads
    return max(generator_min, config.discriminator.min_input_size(), 4 * math.ceil(getattr(config, "cycle_lowpass", 0.0)))


def _check_full_resolution_sizes(paths: list[Path], config) -> None:
    """With ``--preprocess none`` every training image is used at its own size: refuse, before training, one that
    is too small for the networks (reading only the image headers)."""
    from PIL import Image

    least = smallest_side_accepted(config)
    for path in paths:
        with Image.open(path) as image:
            side = min(image.size) // 4 * 4
        if side < least:
            raise UserError(f"{path}: {image.size[0]}x{image.size[1]} is too small for --preprocess none (each side must be at "
                            f"least {least} pixels for these networks); use --preprocess crop, which pads small images")


def _fixed_batch(folders, config, seed: int, count: int = 4) -> dict[str, torch.Tensor]:
    """The same crops every time (fixed seed, no flip): from the test folders when present, else from training.

    With ``preprocess="none"`` the images keep their own sizes, so the grid uses ``crop_size`` crops to stack them.
    """
    test_a, test_b = folders.test_a or folders.train_a, folders.test_b or folders.train_b
    preprocess = "crop" if config.preprocess == "none" else config.preprocess
    fixed = UnpairedDataset(test_a, test_b, config.load_size, config.crop_size, flip=False, preprocess=preprocess, seed=seed)
    samples = [fixed[10**12 + i] for i in range(count)]
    return {key: torch.stack([s[key] for s in samples]) for key in ("a", "b")}
