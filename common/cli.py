"""What every gansuite CLI shares: one option grammar, help that shows defaults, and running a sub-command with
user errors turned into one clear line and an exit code.

The grammar, the same in ``superres`` and ``translate``:

==================  ==========================================================================
``-o/--output``     output folder, or a file name for a single input (``--out`` is an alias)
``--suffix``        added to result names (``_x4`` for upscaling, ``_<direction>`` for translation)
``--ext``           output extension (``auto``: the input's)
``--overwrite``     replace existing results (never an input)
``--include-outputs`` also process files that are this tool's own earlier results
``--model``         which model to run
``--tile``          tile size in input pixels (0: whole image)
``--tile-overlap``  context pixels shared with neighbouring tiles
``--device``        auto | cpu | cuda[:i]
``--threads``       CPU threads for torch or onnxruntime (0: one per core)
==================  ==========================================================================

Inputs can stand anywhere on the line, before or after the options.
"""
from __future__ import annotations

import argparse
from typing import Callable

from common.console import error_line
from common.errors import UserError
from common.imageio import DEFAULT_MAX_PIXELS

Command = Callable[[argparse.Namespace], int]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` after every option that has a meaningful default (not for flags or ``None``)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        flag_or_unset = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        if "%(default)" in text or flag_or_unset or "(default" in text:
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)"
        return text


def add_command(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """A sub-command parser with the shared formatter (defaults shown)."""
    return sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".", formatter_class=HelpFormatter)


# Options a user may reasonably guess that do not exist on a command, with what to use instead.
HINTS = {
    ("upscale", "--scale"): "upscale has no --scale: the model fixes the factor; use --outscale X to resize the result, "
                            "or --model for a model of another scale",
    ("run", "--scale"): "translate run keeps the image size; there is no --scale",
    ("upscale", "--overlap"): "use --tile-overlap",
    ("run", "--overlap"): "use --tile-overlap",
}


def run_command(parser: argparse.ArgumentParser, commands: dict[str, Command], argv: list[str] | None) -> int:
    """Parse ``argv`` and run its sub-command. Exit codes: the command's own (0 ok, 1 some files failed),
    2 for a user error (printed as ``error: ...``, no traceback), 130 when interrupted.

    Words left over after parsing are more inputs when the command takes ``inputs`` (so inputs can follow
    options), and an error otherwise, with a hint for likely mistakes (``--scale`` on ``upscale``).
    """
    args, extras = parser.parse_known_args(argv)
    for word in extras:
        hint = HINTS.get((args.command, word.split("=")[0]))
        if hint:
            parser.error(f"unrecognized argument {word}: {hint}")
    if extras and (not hasattr(args, "inputs") or any(word.startswith("-") for word in extras)):
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if extras:
        args.inputs = list(args.inputs or []) + extras
    try:
        return commands[args.command](args)
    except UserError as exc:
        error_line(str(exc))
        return 2
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130


def add_output_arguments(parser: argparse.ArgumentParser, suffix_help: str) -> None:
    """``-o/--output`` and the rest of the output grammar shared by the batch commands."""
    parser.add_argument("-o", "--output", "--out", dest="output",
                        help="output folder (created if missing), or a file name for a single input (default: beside each input)")
    parser.add_argument("--suffix", help=suffix_help)
    parser.add_argument("--ext", default="auto", help="output extension: auto (same as the input) or png, jpg, webp, tif")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never the inputs)")
    parser.add_argument("--include-outputs", action="store_true",
                        help="also process files that are this tool's own earlier results (skipped by default)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger inputs (0: no limit)")


def add_engine_arguments(parser: argparse.ArgumentParser, tile: int, tile_help: str, overlap_help: str) -> None:
    """Tiling, device and thread options shared by ``upscale`` and ``run``."""
    parser.add_argument("--tile", type=int, default=tile, help=tile_help)
    parser.add_argument("--tile-overlap", "--tile-pad", dest="tile_overlap", type=int, help=overlap_help)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch or onnxruntime (0: one per core)")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The ONNX export options shared by both ``export`` commands (output, precision, verification)."""
    parser.add_argument("-o", "--output", "--out", dest="output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset (17 or newer)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--fp16", action="store_true", help="float16 weights and activations, fp32 input/output (GPU deployment)")
    precision.add_argument("--int8", metavar="CALIB_DIR", help="static int8 quantisation calibrated on this image folder (CPU deployment)")
    parser.add_argument("--verify-image", help="real image for the export check (default: the first calibration image or a synthetic one)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")


def add_loop_arguments(parser: argparse.ArgumentParser, workers: int = 0) -> None:
    """The generic training loop's options, shared by every ``train`` command."""
    parser.add_argument("--seed", type=int, default=0, help="seed of every random number generator")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    parser.add_argument("--workers", type=int, default=workers, help="data-loading worker processes (0: in the main process)")
    parser.add_argument("--log-every", type=int, default=50, help="steps between log lines / metrics.jsonl records")
    parser.add_argument("--checkpoint-every", type=int, default=1000, help="steps between checkpoints (also saved on Ctrl-C/SIGTERM)")
    parser.add_argument("--sample-every", type=int, default=500, help="steps between sample grids in samples/ and index.html")


def loop_config_from_args(args: argparse.Namespace, validate_every: int = 0):
    """A LoopConfig from the options of :func:`add_loop_arguments` plus ``--max-steps``, ``--batch-size``, ``--ema``."""
    from common.train_loop import LoopConfig

    return LoopConfig(
        max_steps=args.max_steps, batch_size=args.batch_size, seed=args.seed, device=args.device, ema_decay=args.ema,
        num_workers=args.workers, log_every=args.log_every, checkpoint_every=args.checkpoint_every,
        sample_every=args.sample_every, validate_every=validate_every,
    )
