"""``superres compare``: one picture with the same crop from several models, bicubic and the ground truth."""
from __future__ import annotations

import argparse
from pathlib import Path

from common.cli.grammar import POSITIVE_INT, add_command, add_offline_argument
from common.core.console import log
from common.core.errors import UserError
from superres.upscale_command import DENOISE

DEFAULT_MODELS = "default,gan,clean"  # the embedded models, so a first run shows the choice there is


def _box(text: str) -> tuple[int, int, int, int]:
    parts = text.split(",")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: expected X,Y,W,H in input pixels, e.g. 120,80,64,64")
    return values  # type: ignore[return-value]


def parse_model_spec(spec: str) -> tuple[str, float | None]:
    """``default@0.5`` -> ("default", 0.5); anything else -> (spec, None)."""
    name, _, strength = spec.partition("@")
    if not strength:
        return spec, None
    try:
        return name, DENOISE(strength)
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"--models {spec}: {exc}") from None


def add_compare(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "compare", "the same crop from several models side by side, labelled (scores with --reference)")
    p.add_argument("image", help="the input image (the low-resolution photo)")
    p.add_argument("--models", default=DEFAULT_MODELS,
                   help="comma-separated models as --model takes them; NAME@S sets --denoise S (e.g. default@0,default,default@1)")
    p.add_argument("--crop", type=_box, help="X,Y,W,H of the region in input pixels (default: the most detailed --crop-size square)")
    p.add_argument("--crop-size", type=POSITIVE_INT, default=64, help="side of the automatic crop in input pixels")
    p.add_argument("--reference", help="the HR ground truth (scale x the input's size): adds its crop and each model's scores")
    p.add_argument("--lpips-weights", help="LPIPS v0.1 VGG heads for the scores (default: the installed lpips package's)")
    p.add_argument("--vgg-weights", help="ImageNet VGG16 for LPIPS (default: torchvision's cache file)")
    p.add_argument("-o", "--output", required=True, help="the grid image to write (.png)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    add_offline_argument(p)


def _lpips_or_none(args: argparse.Namespace):
    from common.metrics.lpips import LPIPS

    try:
        return LPIPS.from_files(args.lpips_weights, args.vgg_weights)
    except UserError as exc:
        if args.lpips_weights or args.vgg_weights:
            raise
        log(f"[yellow]LPIPS not shown[/]: {exc}")
        return None


def run_compare(args: argparse.Namespace) -> int:
    from common.io.images import check_regular_file, read_rgb8, write_image
    from superres.compare import compare
    from superres.engine import load_upscaler

    output = Path(args.output)
    if output.exists() and not args.overwrite:
        raise UserError(f"{output}: already exists; pass --overwrite to replace it")
    check_regular_file(Path(args.image))
    pixels = read_rgb8(args.image)
    upscalers, scales = {}, set()
    for spec in (s.strip() for s in args.models.split(",") if s.strip()):
        name, denoise = parse_model_spec(spec)
        engine = load_upscaler(name, denoise=denoise, device=args.device)
        label = Path(name).name + (spec[len(name):] if denoise is not None else "")  # a path's file name says enough
        upscalers[label], scales = engine.upscale_array, scales | {engine.scale}
    if len(scales) != 1:
        raise UserError(f"--models {args.models}: the models upscale by different factors ({sorted(scales)}); compare one scale at a time")
    reference = read_rgb8(args.reference) if args.reference else None
    lpips = _lpips_or_none(args) if reference is not None else None
    grid, panels = compare(pixels, upscalers, scales.pop(), args.crop, reference, lpips, args.crop_size)
    write_image(output, grid, overwrite=args.overwrite)
    for panel in panels:
        if panel.scores:
            log(f"{panel.label}: " + "  ".join(f"{k} {v:.4f}" for k, v in panel.scores.items()))
    log(f"wrote {output} ({grid.shape[1]}x{grid.shape[0]})")
    return 0
