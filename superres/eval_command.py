"""``superres eval``: Y-PSNR/SSIM by the SR protocol, LPIPS and NIQE, model against bicubic."""
from __future__ import annotations

import argparse

from common.cli.grammar import add_command, add_offline_argument
from common.core.errors import UserError
from superres.names import IMPORT_ARCHITECTURES as ARCH_CHOICES
from superres.names import SCALES
from superres.upscale_command import ARCH_HELP, DENOISE, DENOISE_HELP, MODEL_HELP


def add_eval(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "eval", "Y-PSNR/SSIM by the SR protocol, model vs bicubic")
    p.add_argument("--data", required=True, help="folder of HR images (e.g. Set5)")
    p.add_argument("--scale", type=int, default=4, choices=SCALES, help="upscaling factor (must be the model's)")
    p.add_argument("--model", default="default", help=MODEL_HELP)
    p.add_argument("--denoise", type=DENOISE, help=DENOISE_HELP)
    p.add_argument("--degraded", action="store_true",
                   help="LR made by the seeded real-world recipe (blur, bicubic, noise, JPEG; superres/degraded_eval.py) instead of clean bicubic")
    p.add_argument("--arch", choices=ARCH_CHOICES, default="auto", help=ARCH_HELP)
    p.add_argument("--metrics", type=_metric_list, default=("psnr", "ssim"),
                   help="comma-separated: psnr,ssim (always, by the protocol), lpips (VGG, lower is closer) and niqe (no "
                        "reference, lower is more natural; needs images of at least 96x96)")
    p.add_argument("--niqe-params", help="NIQE's pristine model, niqe_pris_params.npz (default: the installed basicsr package's)")
    p.add_argument("--lpips-weights", help="LPIPS v0.1 VGG heads (default: the installed lpips package's)")
    p.add_argument("--vgg-weights", help="ImageNet VGG16 weights for LPIPS (default: torchvision's cache file)")
    p.add_argument("--json", help="also write the scores to this JSON file")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    add_offline_argument(p)


METRICS = ("psnr", "ssim", "lpips", "niqe")


def _metric_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in METRICS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a comma-separated list of {', '.join(METRICS)}")
    return names


def run_eval(args: argparse.Namespace) -> int:
    import json

    from rich.table import Table

    from common.core.console import console
    from common.core.device import resolve_device
    from superres.data import load_eval_set
    from superres.evaluate import evaluate, mean_scores, torch_model_upscaler
    from superres.pretrained import load_sr_model

    model, meta = load_sr_model(args.model, args.arch, args.denoise)
    if model.config.scale != args.scale:
        raise UserError(f"{args.model}: this is a x{model.config.scale} model, but --scale is {args.scale}")
    device = resolve_device(args.device)
    lpips = None
    if "lpips" in args.metrics:
        from common.metrics.lpips import LPIPS

        lpips = LPIPS.from_files(args.lpips_weights, args.vgg_weights).to(device)
    niqe_params = None
    if "niqe" in args.metrics:
        from common.metrics.niqe import find_niqe_params, load_niqe_params

        niqe_params = load_niqe_params(find_niqe_params(args.niqe_params))
    pairs = load_eval_set(args.data, args.scale, args.degraded)
    scores = evaluate(torch_model_upscaler(model.to(device), device), pairs, args.scale, lpips, niqe_params)
    means = mean_scores(scores)
    recipe = "degraded (real-world recipe)" if args.degraded else "bicubic"
    extra = (", LPIPS on RGB (lower is closer)" if lpips else "") + (", NIQE (lower is more natural)" if niqe_params else "")
    table = Table(title=f"{args.data} x{args.scale}, {recipe} LR: Y-PSNR (dB) / SSIM, BT.601 Y, border {args.scale}{extra}")
    shown = ("psnr", "ssim") + (("lpips",) if lpips else ()) + (("niqe",) if niqe_params else ())
    keys = shown + tuple(f"bicubic_{k}" for k in shown)
    for key in ("image",) + keys:
        title = key.replace("bicubic_", "bicubic ")
        for name in ("psnr", "ssim", "lpips", "niqe"):
            title = title.replace(name, name.upper())
        table.add_column(title, justify="left" if key == "image" else "right")
    digits = {"psnr": "{:.2f}", "ssim": "{:.4f}", "lpips": "{:.4f}", "niqe": "{:.3f}"}
    show = lambda key, value: digits[key.replace("bicubic_", "")].format(value)  # noqa: E731
    for s in scores:
        table.add_row(s.name, *(show(k, getattr(s, k)) for k in keys))
    table.add_row("[bold]mean", *(f"[bold]{show(k, means[k])}" for k in keys))
    console.print(table)
    if args.json:
        from dataclasses import asdict

        from common.core.files import write_bytes_atomic

        payload = {"data": str(args.data), "scale": args.scale, "model": str(args.model), "denoise": meta.get("denoise"),
                   "lr": "degraded" if args.degraded else "bicubic", "mean": means, "images": [asdict(s) for s in scores]}
        write_bytes_atomic(args.json, (json.dumps(payload, indent=2) + "\n").encode())
    return 0


