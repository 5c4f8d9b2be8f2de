"""``translate train``: its options, the CPU-sized defaults, ``--resume`` with the run's own options, and the run.

Options a user does not give are left unset here and filled in :func:`resolve_sizes`: the papers' settings on a
GPU, a first hour's worth on a CPU (said in one line, with how to get the papers' settings).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common.cli.grammar import (
    BATCH_SIZE, COUNT, EMA_DECAY, POSITIVE_FLOAT, POSITIVE_INT, WEIGHT, add_command, add_loop_arguments, loop_config_from_args,
)
from common.core.console import log
from common.core.errors import UserError
from translate.presets import PRESET_EMA, PRESET_HELP, PRESETS

METHODS = ("cyclegan", "cut", "fastcut")
# option -> (the papers' value, the CPU-sized value); CPU-sized, CycleGAN takes about 1.8 s a step on this project's
# 2-core CPU, CUT 1.2 and FastCUT 0.75 (benchmarks/translate_methods.py).
SIZES = {"load_size": (286, 143), "crop_size": (256, 128), "ngf": (64, 32), "n_blocks": (9, 6)}
SIZE_WORDS = {"load_size": "load {} px", "crop_size": "crops of {} px", "ngf": "ngf {}", "n_blocks": "{} blocks"}
CPU_SCHEDULE = (1000, 1000)  # steps at the full rate, then of linear decay: about an hour of CycleGAN on that CPU
CYCLEGAN_ONLY = ("lambda_cycle", "cycle_lowpass", "identity", "pool_size")
CUT_ONLY = ("lambda_nce", "num_patches")
# Options that may change on --resume without changing what is trained.
FREE_ON_RESUME = {"resume", "output", "max_steps", "device", "workers", "log_every", "checkpoint_every", "sample_every", "debug", "threads"}


def add_train(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "train", "train CycleGAN, CUT or FastCUT on two folders of images")
    p.add_argument("--data", default=".", help="root holding the two domain folders (or trainA/trainB)")
    p.add_argument("--method", choices=METHODS, default="cyclegan",
                   help="cyclegan: two generators and a cycle, both directions; cut / fastcut (Park et al. 2020): one generator and "
                        "PatchNCE, one direction, about half the time and memory a step")
    p.add_argument("--preset", choices=PRESETS, default="default",
                   help="; ".join(f"{name}: {text}" for name, text in PRESET_HELP.items()) + ". Options given explicitly override it")
    p.add_argument("--domains", nargs=2, default=("A", "B"), metavar=("FROM", "TO"), help="the two domain folder names")
    p.add_argument("-o", "--output", "--out", dest="output", help="run directory (default: runs/<FROM>2<TO>)")
    p.add_argument("--max-steps", type=COUNT, help="training steps (default: the whole schedule; on a CPU the schedule then fits these steps)")
    p.add_argument("--resume", action="store_true", help="continue the run in -o with its own options (give only what changes: --max-steps)")
    p.add_argument("--load-size", type=POSITIVE_INT, help="images are resized to this before cropping (default: 286; 143 on a CPU)")
    p.add_argument("--crop-size", type=POSITIVE_INT, help="training crop size (default: 256; 128 on a CPU)")
    p.add_argument("--preprocess", choices=("resize_and_crop", "crop", "none"), default="resize_and_crop", help="how training images are sized")
    p.add_argument("--no-flip", action="store_true", help="no random horizontal flips")
    p.add_argument("--ngf", type=POSITIVE_INT, help="generator width, channels of its first layer (default: 64; 32 on a CPU)")
    p.add_argument("--ndf", type=POSITIVE_INT, default=64, help="discriminator width")
    p.add_argument("--n-blocks", type=int, choices=(6, 9), help="residual blocks of the generator (default: 9; 6 on a CPU)")
    p.add_argument("--norm", choices=("instance", "batch", "none"),
                   help="normalisation layers of the generators, and of the discriminators unless --d-norm is given (default: the preset's)")
    p.add_argument("--d-norm", choices=("instance", "batch", "none"), help="normalisation layers of the discriminators (default: the preset's)")
    p.add_argument("--upsample", choices=("transpose", "resize_conv"), help="resize_conv avoids checkerboard artefacts (default: the preset's)")
    p.add_argument("--residual-output", action=argparse.BooleanOptionalAction, help="generator starts at the identity: tanh(f(x) + atanh(x)) (default: the preset's)")
    p.add_argument("--input-skip", action=argparse.BooleanOptionalAction,
                   help="the generator's last conv also sees the input: colour, tone and sharpness maps are one layer deep (default: the preset's)")
    p.add_argument("--input-skip-gain", type=POSITIVE_FLOAT,
                   help="the input path of --input-skip learns this many times faster (same start; default: the preset's)")
    p.add_argument("--gan-loss", choices=("lsgan", "vanilla", "hinge", "wgan"), default="lsgan", help="adversarial loss (wgan applies the gradient penalty)")
    p.add_argument("--lambda-cycle", type=WEIGHT, help="cyclegan: weight of the cycle-consistency L1 loss (default: 10)")
    p.add_argument("--cycle-lowpass", type=WEIGHT, metavar="PX",
                   help="cyclegan: the cycle loss compares Gaussian low-passes of this many px (0: pixel for pixel; default: the preset's, reference 0)")
    p.add_argument("--identity", type=WEIGHT, help="cyclegan: identity loss weight as a fraction of lambda-cycle (default: the preset's, 0.1; reference 0)")
    p.add_argument("--lambda-nce", type=WEIGHT, help="cut/fastcut: weight of PatchNCE (default: 1 for cut, 10 for fastcut)")
    p.add_argument("--num-patches", type=POSITIVE_INT, help="cut/fastcut: patches per layer in PatchNCE (default: 256)")
    p.add_argument("--lr", type=POSITIVE_FLOAT, help="Adam learning rate of G and D (default: the preset's; reference 2e-4)")
    p.add_argument("--n-epochs", type=COUNT, help="epochs at the initial learning rate (default: 100; cut 200, fastcut 150; on a CPU a "
                                                   f"schedule of {CPU_SCHEDULE[0]} + {CPU_SCHEDULE[1]} steps)")
    p.add_argument("--n-epochs-decay", type=COUNT, help="epochs of linear decay to 0 (default: 100; cut 200, fastcut 50)")
    p.add_argument("--pool-size", type=COUNT, help="cyclegan: image pool of earlier fakes shown to D (0: off; default: the preset's, reference 50)")
    p.add_argument("--batch-size", type=BATCH_SIZE, default=1, help="images per step")
    p.add_argument("--ema", type=EMA_DECAY, help="EMA decay of the exported generators (0: off; default: the preset's, reference 0)")
    add_loop_arguments(p, workers=2)


def on_cpu(device: str) -> bool:
    import torch

    return device == "cpu" or (device == "auto" and not torch.cuda.is_available())


def resolve_sizes(args: argparse.Namespace, given: set[str], quiet: bool = False) -> None:
    """Fill the sizes and the schedule the user left unset: the papers' on a GPU or with ``--preset reference``,
    CPU-sized ones on a CPU (one line says which were chosen and how to get the papers')."""
    cpu = on_cpu(args.device) and not ("preset" in given and args.preset == "reference")
    chosen = []
    for name, (paper, small) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, small if cpu else paper)
            chosen += [SIZE_WORDS[name].format(small)] if cpu else []
    args.n_steps = args.n_steps_decay = 0
    if cpu and args.n_epochs is None and args.n_epochs_decay is None:
        # Epochs of a real folder are far too long here: a schedule in steps, decaying over its second half.
        if args.max_steps:
            args.n_steps, args.n_steps_decay = args.max_steps // 2, args.max_steps - args.max_steps // 2
        else:
            args.n_steps, args.n_steps_decay = CPU_SCHEDULE
            chosen.append(f"{sum(CPU_SCHEDULE)} steps ({CPU_SCHEDULE[0]} + {CPU_SCHEDULE[1]} decaying)")
    if args.max_steps is None:
        args.max_steps = 0
    if chosen and not quiet:
        log(f"on a CPU: CPU-sized defaults {', '.join(chosen)}; the papers' settings (256 px, ngf 64, 9 blocks, their epochs) "
            "with --preset reference or these options")


def refuse_options_of_the_other_method(args: argparse.Namespace) -> None:
    """``--lambda-cycle`` with cut, ``--lambda-nce`` with cyclegan...: one error line, before anything is said."""
    wrong = CUT_ONLY if args.method == "cyclegan" else CYCLEGAN_ONLY
    misplaced = [name for name in wrong if getattr(args, name) is not None]
    if misplaced:
        flag = "--" + misplaced[0].replace("_", "-")
        raise UserError(f"{flag} applies to --method {'cut or fastcut' if args.method == 'cyclegan' else 'cyclegan'}, not {args.method}")


def build_config(args: argparse.Namespace):
    """The task config (CycleGAN's or CUT's) these options describe."""
    from translate.cut_train import cut_config
    from translate.presets import cyclegan_preset, preset_architectures

    refuse_options_of_the_other_method(args)
    given = lambda **values: {k: v for k, v in values.items() if v is not None}  # noqa: E731  (unset: the preset's)
    generator = given(ngf=args.ngf, n_blocks=args.n_blocks, norm=args.norm, upsample=args.upsample, residual_output=args.residual_output,
                      input_skip=args.input_skip, input_skip_gain=args.input_skip_gain)
    discriminator = given(ndf=args.ndf, norm=args.d_norm or args.norm)
    common = dict(domains=tuple(args.domains), gan_loss=args.gan_loss, load_size=args.load_size, crop_size=args.crop_size,
                  flip=not args.no_flip, preprocess=args.preprocess, n_steps=args.n_steps, n_steps_decay=args.n_steps_decay,
                  **given(lr=args.lr, n_epochs=args.n_epochs, n_epochs_decay=args.n_epochs_decay))
    if args.method == "cyclegan":
        return cyclegan_preset(args.preset, args.data, generator=generator, discriminator=discriminator, **common,
                               **given(lambda_cycle=args.lambda_cycle, lambda_identity=args.identity, pool_size=args.pool_size,
                                       cycle_lowpass=args.cycle_lowpass))
    generator_config, discriminator_config = preset_architectures(args.preset, generator, discriminator)
    return cut_config(args.method, args.data, generator=generator_config, discriminator=discriminator_config, preset=args.preset, **common,
                      **given(lambda_nce=args.lambda_nce, num_patches=args.num_patches))


def run_train(args: argparse.Namespace) -> int:
    from common.train.loop import TrainingInterrupted
    from translate.cut_train import train_cut
    from translate.resume_options import resumed_config
    from translate.train import train_cyclegan

    if args.domains[0] == args.domains[1]:
        raise UserError(f"--domains {args.domains[0]} {args.domains[1]}: the two domains must differ")
    if args.n_epochs == 0 and args.n_epochs_decay == 0 and not args.max_steps:
        raise UserError("--n-epochs and --n-epochs-decay are both 0: give --max-steps or some epochs")
    given = getattr(args, "given", set())
    out = args.output or f"runs/{args.domains[0]}2{args.domains[1]}"
    if args.resume:
        config, loop = resumed_config(args, given, Path(out), build_config, resolve_sizes)
    else:
        refuse_options_of_the_other_method(args)
        resolve_sizes(args, given)
        config = build_config(args)
        if args.ema is None:
            args.ema = PRESET_EMA[args.preset]
        loop = loop_config_from_args(args)
    try:
        (train_cut if getattr(config, "method", "cyclegan") != "cyclegan" else train_cyclegan)(config, loop, out, resume=args.resume)
    except TrainingInterrupted as stop:
        log(f"[yellow]{stop}[/]; continue with --resume")
        return 130
    log(f"done: {out}")
    return 0
