"""``superres upscale``: options (with the flags Real-ESRGAN's ``inference_realesrgan.py`` users type) and the run.

The engine is chosen by :func:`superres.engine.load_upscaler`, exactly as Python callers get it.
"""
from __future__ import annotations

import argparse

from common.cli.grammar import (
    COUNT, POSITIVE_FLOAT, add_command, add_engine_arguments, add_offline_argument, add_output_arguments, bounded,
)
from common.cli.video_runs import add_video_arguments
from common.core.errors import UserError
from superres.engine import BACKENDS, PRECISIONS
from superres.names import IMPORT_ARCHITECTURES

MODEL_HELP = ("default (real-world photos) | gan (real-world, GAN-trained: finer texture, some edge artefacts) | clean "
              "(clean, sharp sources; the benchmark tables) | a released model's name "
              "(superres models) | RUN directory | .safetensors"
              " | released .pth (Real-ESRGAN, BasicSR, ESRGAN)")
ARCH_HELP = "architecture of a released .pth whose keys are ambiguous (auto: read from the keys)"
DENOISE = bounded(float, 0, 1)
DENOISE_HELP = "default and gan models only: 0 keeps the most detail, 1 removes the most noise and JPEG artefacts (default 0.25)"
# Real-ESRGAN's flag -> ours, for the README table and the help texts.
REAL_ESRGAN_ALIASES = {"-i/--input": "PATH (positional)", "-n/--model_name, --model_path": "--model", "-s": "--outscale",
                       "-t": "--tile", "--tile_pad": "--tile-overlap", "-dn/--denoise_strength": "--denoise",
                       "--fp32": "--precision fp32", "--alpha_upsampler": "--alpha-upsampler", "-g/--gpu-id N": "--device cuda:N",
                       "--suffix out": "--suffix out (written as _out, as theirs)"}


def add_upscale(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "upscale", "upscale images (files, folders, globs) and videos")
    p.add_argument("inputs", nargs="*", metavar="PATH", help="image files, folders or quoted globs; video files")
    p.add_argument("-i", "--input", dest="input_paths", action="append", metavar="PATH", help="an input, as Real-ESRGAN's -i (repeatable)")
    # Real-ESRGAN's spellings are separate, unlisted options, so an error names the option as the user typed it.
    alias = {"help": argparse.SUPPRESS, "default": argparse.SUPPRESS}
    add_output_arguments(p, suffix_help="added to output names (default: _x<scale>; a suffix without a leading _ - or . gets an _)")
    p.add_argument("--model", default="default", help=MODEL_HELP + " | .onnx (Real-ESRGAN's -n, --model_name, --model_path)")
    p.add_argument("-n", "--model_name", "--model_path", dest="model", **alias)
    p.add_argument("--denoise", type=DENOISE, help=DENOISE_HELP + " (Real-ESRGAN's -dn, --denoise_strength)")
    p.add_argument("-dn", "--denoise_strength", dest="denoise", type=DENOISE, **alias)
    p.add_argument("--arch", choices=IMPORT_ARCHITECTURES, default="auto", help=ARCH_HELP)
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="engine (auto: onnx for .onnx files; for another model file on a CPU, whichever of torch and its ONNX "
                                                                       "graph measured faster here, prepared once and cached; torch: always torch)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="for the embedded models: auto runs their shipped int8 ONNX on a CPU (2x faster, within 0.03 dB) and fp32 torch on a GPU"
                        " (a --denoise other than 0.25 runs fp32)")
    p.add_argument("--fp32", dest="precision", action="store_const", const="fp32", help="the same as --precision fp32 (Real-ESRGAN's flag)")
    p.add_argument("--outscale", type=POSITIVE_FLOAT, help="final scale relative to the input, resized after the network (default: the model's; -s)")
    p.add_argument("-s", dest="outscale", type=POSITIVE_FLOAT, **alias)
    add_offline_argument(p)
    add_engine_arguments(p, tile="auto", tile_help="tile size in input pixels (0: whole image; auto: per image, the grid that runs "
                         "fastest within the memory at hand)",
                         overlap_help="context pixels around each tile (default: the model's receptive radius: tiles equal the whole image)")
    p.add_argument("-g", "--gpu-id", dest="gpu_id", type=COUNT, help="run on cuda:N (Real-ESRGAN's flag; the same as --device cuda:N)")
    p.add_argument("--alpha-upsampler", choices=("bicubic", "model"), default="bicubic", help="how an alpha channel is upscaled")
    p.add_argument("--alpha_upsampler", dest="alpha_upsampler", choices=("bicubic", "model"), **alias)
    add_video_arguments(p)


def run_upscale(args: argparse.Namespace) -> int:
    from common.cli.video_runs import run_videos, split_videos
    from common.io.batch import output_options_from_args, process_files
    from common.io.resize_array import with_outscale
    from superres.engine import load_upscaler

    inputs = list(args.inputs or []) + list(args.input_paths or [])
    if not inputs:
        raise UserError("no input images given (PATH ... or -i PATH)")
    if args.gpu_id is not None:
        if args.device not in ("auto", f"cuda:{args.gpu_id}"):
            raise UserError(f"-g {args.gpu_id} and --device {args.device} ask for two devices; give one")
        args.device = f"cuda:{args.gpu_id}"
    # What decides the pixels: a re-run with the same settings skips the results already done.
    settings = (f"model={args.model} denoise={args.denoise} outscale={args.outscale} arch={args.arch} "
                f"alpha={args.alpha_upsampler} precision={args.precision} backend={args.backend}")
    engine = load_upscaler(args.model, denoise=args.denoise, arch=args.arch, backend=args.backend, precision=args.precision,
                           device=args.device, tile=args.tile, tile_overlap=args.tile_overlap, alpha_upsampler=args.alpha_upsampler,
                           threads=args.threads)
    suffix = args.suffix if args.suffix is not None else f"_x{args.outscale or engine.scale:g}"
    upscale = with_outscale(engine.upscale_array, engine.scale, args.outscale)
    videos, images = split_videos(inputs)
    failures = run_videos(upscale, videos, args, suffix, "gansuite superres upscale", settings, single=len(inputs) == 1) if videos else []
    if images:
        options = output_options_from_args(args, suffix, marker="gansuite superres upscale", output_suffixes=r"_x\d+(?:\.\d+)?", settings=settings)
        failures += process_files(upscale, images, options, "upscale", tile_progress=True)
    return 1 if failures else 0
