"""``superres`` command line: a thin layer that fills configs and calls the library."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.cli.grammar import (
    BATCH_SIZE, COUNT, EMA_DECAY, POSITIVE_FLOAT, POSITIVE_INT, add_command, add_export_arguments, add_loop_arguments, add_offline_argument,
    add_output_arguments, loop_config_from_args, make_parser, run_command,
)
from common.core.console import log
from common.core.errors import UserError
from superres.names import IMPORT_ARCHITECTURES as ARCH_CHOICES
from superres.names import SCALES, TRAIN_ARCHITECTURES
from superres.compare_command import add_compare, run_compare
from superres.eval_command import add_eval, run_eval
from superres.info_command import add_info, run_info
from superres.models_command import add_models, run_models
from superres.upscale_command import ARCH_HELP, DENOISE, DENOISE_HELP, MODEL_HELP, add_upscale, run_upscale


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "train", "train an SR generator (pretrain or gan stage)")
    p.add_argument("--data", required=True, help="folder of HR training images")
    p.add_argument("--scale", type=int, default=4, choices=SCALES, help="upscaling factor")
    p.add_argument("-o", "--output", "--out", dest="output", required=True, help="run directory")
    p.add_argument("--stage", choices=("pretrain", "gan"), default="pretrain", help="pixel-loss pretraining, or the perceptual + adversarial stage")
    p.add_argument("--init", help="run directory or weights to start from (required for --stage gan)")
    p.add_argument("--val", help="validation folder (Y-PSNR/SSIM by the protocol in the log)")
    p.add_argument("--max-steps", type=POSITIVE_INT, default=100_000, help="training steps (one batch each)")
    p.add_argument("--resume", action="store_true", help="continue the run in -o from checkpoints/last.pt")
    p.add_argument("--arch", choices=TRAIN_ARCHITECTURES, default="msrresnet", help="generator architecture")
    p.add_argument("--blocks", type=POSITIVE_INT, help="residual blocks, RRDB blocks or compact convs (default: the architecture's)")
    p.add_argument("--channels", type=POSITIVE_INT, help="feature channels (default: the architecture's)")
    p.add_argument("--batch-size", type=BATCH_SIZE, default=16, help="HR crops per step")
    p.add_argument("--hr-size", type=POSITIVE_INT, default=128, help="HR crop size (128: 32 px LR patches at x4)")
    p.add_argument("--lr", type=POSITIVE_FLOAT, help="generator learning rate (default 2e-4 pretrain, 1e-4 gan)")
    p.add_argument("--schedule", choices=("cosine", "step", "constant"), help="learning-rate schedule (default cosine for pretrain, step for gan)")
    p.add_argument("--pixel-loss", choices=("l1", "mse"), default="l1", help="pixel loss")
    p.add_argument("--degradation", choices=("bicubic", "realistic"), default="bicubic",
                   help="LR inputs: clean MATLAB bicubic (the benchmark protocol) or real-world blur, resizing, noise and JPEG")
    p.add_argument("--degradation-config", metavar="FILE", help="JSON file changing the realistic degradation settings (see docs/degradations.md)")
    gan = p.add_argument_group("gan stage")
    gan.add_argument("--recipe", choices=("realesrgan", "esrgan"), default="realesrgan",
                     help="realesrgan: L1 + 5-layer VGG + vanilla GAN 0.1 on a U-Net D, sharpened targets; esrgan: L1 1e-2 + "
                          "VGG conv5_4 + relativistic GAN 5e-3 on the SRGAN classifier")
    gan.add_argument("--discriminator", choices=("unet", "vgg"), help="override the recipe's discriminator")
    gan.add_argument("--gan-loss", choices=("relativistic", "vanilla", "lsgan", "hinge"), help="override the recipe's adversarial loss")
    gan.add_argument("--adversarial-weight", type=POSITIVE_FLOAT, help="override the recipe's adversarial loss weight")
    gan.add_argument("--perceptual-layers", choices=("realesrgan", "vgg54"), help="override the recipe's VGG layers")
    gan.add_argument("--lr-d", type=POSITIVE_FLOAT, help="discriminator learning rate (default 1e-4)")
    gan.add_argument("--vgg-weights", help="ImageNet VGG16 or VGG19 weights (default: torchvision's cache files)")
    gan.add_argument("--vgg-arch", choices=("auto", "vgg16", "vgg19"), default="auto", help="which VGG (auto: read from the file)")
    gan.add_argument("--gan-patience", type=COUNT, default=2000,
                     help="stop when D's accuracy stays at 0 or 1 for this many steps (0: never)")
    p.add_argument("--ema", type=EMA_DECAY, default=0.999, help="EMA decay of the exported generator (0: off)")
    add_loop_arguments(p, workers=0)
    p.add_argument("--validate-every", type=COUNT, default=1000, help="steps between validations on --val")


def _model_config(args: argparse.Namespace):
    from superres.architectures import compact_config, rrdbnet_config
    from superres.models import lr_shuffle_config, msrresnet_config, srresnet_paper_config

    factories = {"srresnet": srresnet_paper_config, "msrresnet": msrresnet_config, "lr_shuffle": lr_shuffle_config,
                 "rrdbnet": rrdbnet_config, "compact": compact_config}
    overrides = {k: v for k, v in (("num_blocks", args.blocks), ("channels", args.channels)) if v is not None}
    return factories[args.arch](args.scale, **overrides)


def _degradation(args: argparse.Namespace):
    from common.degrade.config import DegradationConfig, load_degradation_config

    if args.degradation == "bicubic":
        if args.degradation_config:
            raise UserError("--degradation-config needs --degradation realistic")
        return None
    return load_degradation_config(args.degradation_config) if args.degradation_config else DegradationConfig()


def run_train(args: argparse.Namespace) -> int:
    from common.train.loop import TrainingInterrupted
    from superres.train import SRTrainConfig, gan_recipe, train_sr

    common = dict(model=_model_config(args), hr_size=args.hr_size, pixel_loss=args.pixel_loss, vgg_weights=args.vgg_weights, val=args.val,
                  degradation=_degradation(args), vgg_arch=args.vgg_arch, gan_patience=args.gan_patience)
    if args.stage == "gan":
        if not args.init:
            raise UserError("--stage gan needs --init RUN (a pretrained generator)")
        chosen = (("lr", args.lr), ("schedule", args.schedule), ("discriminator", args.discriminator), ("gan_loss", args.gan_loss),
                  ("adversarial_weight", args.adversarial_weight), ("perceptual_layers", args.perceptual_layers), ("lr_d", args.lr_d))
        config = gan_recipe(args.data, args.init, args.recipe, **common, **{k: v for k, v in chosen if v is not None})
    else:
        config = SRTrainConfig(data=args.data, init=args.init, lr=args.lr or 2e-4, schedule=args.schedule or "cosine", **common)
    loop = loop_config_from_args(args, validate_every=args.validate_every)
    try:
        final = train_sr(config, loop, args.output, resume=args.resume)
    except TrainingInterrupted as stop:
        log(f"[yellow]{stop}[/]; continue with --resume")
        return 130
    log(f"done: {Path(args.output) / 'model.safetensors'}  " + "  ".join(f"{k}={v:.4g}" for k, v in final.items() if isinstance(v, float)))
    return 0


def _add_degrade(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "degrade", "preview the real-world degradations a --degradation realistic run trains on")
    p.add_argument("inputs", nargs="+", metavar="PATH", help="image files, folders or quoted globs (HR images)")
    add_output_arguments(p, suffix_help="added to output names (default: _lr)")
    p.add_argument("--scale", type=int, default=4, choices=SCALES, help="downscaling factor")
    p.add_argument("--degradation-config", metavar="FILE", help="JSON file changing the degradation settings")
    p.add_argument("--seed", type=COUNT, default=0, help="run seed; the i-th image is degraded as sample i of such a run")


def run_degrade(args: argparse.Namespace) -> int:
    import itertools

    from common.degrade.config import DegradationConfig, load_degradation_config
    from common.io.batch import output_options_from_args, process_files
    from superres.degrade_preview import degrade_image

    config = load_degradation_config(args.degradation_config) if args.degradation_config else DegradationConfig()
    if args.ext == "auto":
        args.ext = "png"  # a JPEG result would add one more compression than the model sees
        log("degraded images are written as PNG: a JPEG result would add one more compression than the recipe's; --ext jpg keeps JPEG")
    settings = f"scale={args.scale} seed={args.seed} config={config}"
    options = output_options_from_args(args, args.suffix if args.suffix is not None else "_lr", "gansuite superres degrade", r"_lr", settings)
    sample_ids = itertools.count()
    failures = process_files(lambda pixels: degrade_image(pixels, args.scale, config, next(sample_ids), args.seed), args.inputs, options, "degrade")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser, sub = make_parser("superres", "Super-resolution: upscale, train, evaluate, export, import")
    _add_train(sub)
    add_upscale(sub)
    add_eval(sub)
    _add_export(sub)
    _add_import(sub)
    _add_degrade(sub)
    add_compare(sub)
    add_models(sub)
    add_info(sub)
    return parser


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "export", "export a generator to a verified ONNX file")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--denoise", type=DENOISE, help=DENOISE_HELP)
    p.add_argument("--arch", choices=ARCH_CHOICES, default="auto", help=ARCH_HELP)
    add_export_arguments(p)
    add_offline_argument(p)


def run_export(args: argparse.Namespace) -> int:
    from export.fixed_size import parse_input_size
    from export.int8_choice import int8_policy_from_args
    from superres.onnx import export_sr_model

    export_sr_model(args.model, args.output, opset=args.opset, fp16=args.fp16, int8_calibration=args.int8,
                    overwrite=args.overwrite, verify_image=args.verify_image, arch=args.arch, denoise=args.denoise,
                    int8_policy=int8_policy_from_args(args), input_size=args.input_size and parse_input_size(args.input_size), io=args.io)
    return 0


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "import", "convert a released .pth (Real-ESRGAN, BasicSR, ESRGAN, SRGAN) or an ncnn .param + .bin to "
                                   "gansuite safetensors + JSON")
    p.add_argument("checkpoint", help="the .pth file, or an ncnn .param file")
    p.add_argument("weights", nargs="?", help="the ncnn .bin beside the .param (default: the .param's name with .bin)")
    p.add_argument("-o", "--output", "--out", dest="output", required=True, help="NAME or NAME.safetensors (NAME.json is written beside it)")
    p.add_argument("--arch", choices=ARCH_CHOICES, default="auto", help=ARCH_HELP)
    p.add_argument("--overwrite", action="store_true", help="replace existing files")


def run_import(args: argparse.Namespace) -> int:
    from common.weights.model_files import save_imported_model
    from superres.importers import import_sr_checkpoint
    from superres.ncnn_import import import_ncnn

    if args.checkpoint.endswith(".param"):
        model, meta = import_ncnn(args.checkpoint, args.weights)
    elif args.weights:
        raise UserError(f"{args.weights}: a second file goes with an ncnn .param only")
    else:
        model, meta = import_sr_checkpoint(args.checkpoint, args.arch)
    if meta["kind"] == "spandrel":
        raise UserError(f"{args.checkpoint}: {meta['source_format']} runs from this file as it is (--model {args.checkpoint}); "
                        "spandrel rebuilds it from its keys, so there is no gansuite copy to write")
    path = save_imported_model(model, meta, args.output, args.overwrite)
    log(f"{args.checkpoint}: {meta['source_format']}, x{meta['scale']} -> {path}")
    return 0


COMMANDS = {"train": run_train, "upscale": run_upscale, "eval": run_eval, "export": run_export, "import": run_import,
            "degrade": run_degrade, "compare": run_compare, "models": run_models, "info": run_info}


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
