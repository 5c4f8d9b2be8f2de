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
import math
import os
import signal
import threading
from typing import Callable

from common.core.console import error_line
from common.core.errors import UserError
from common.io.images import DEFAULT_MAX_PIXELS

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


def bounded(kind: type, low: float | None = None, high: float | None = None, high_open: bool = False, low_open: bool = False):
    """An argparse ``type`` accepting a finite ``kind`` (int or float) in [low, high] (open ends as asked), so a
    bad value gets one line naming the option: ``argument --batch-size: must be >= 1 (got 0)``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if low is not None and (value < low or (low_open and value == low)):
            raise argparse.ArgumentTypeError(f"must be {'>' if low_open else '>='} {low:g} (got {text})")
        if high is not None and (value > high or (high_open and value == high)):
            raise argparse.ArgumentTypeError(f"must be {'<' if high_open else '<='} {high:g} (got {text})")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


POSITIVE_INT = bounded(int, 1)
COUNT = bounded(int, 0)  # zero allowed (0 switches the feature off or means "all")
POSITIVE_FLOAT = bounded(float, 0, low_open=True)
WEIGHT = bounded(float, 0)
EMA_DECAY = bounded(float, 0, 1, high_open=True)
# Counts bounded by what a machine can use: a typo (--threads 100000) is one error, not a machine out of memory.
PER_CORE_LIMIT = 4
MAX_TILE = 65_536
MAX_BATCH = 4_096
BATCH_SIZE = bounded(int, 1, MAX_BATCH)


def cpu_bounded_count(what: str):
    """A ``COUNT`` of at most :data:`PER_CORE_LIMIT` per CPU core of this machine (threads, worker processes)."""
    cores = os.cpu_count() or 1
    limit = PER_CORE_LIMIT * cores

    def parse(text: str) -> int:
        value = COUNT(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"{value} {what} on a machine with {cores} CPU core(s); use at most {limit} (0: the default)")
        return value

    parse.__name__ = "int"
    return parse


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``error: <what> (see <prog> --help)``, exit status 2."""

    def error(self, message: str):
        error_line(f"{message} (see {self.prog} --help)")
        raise SystemExit(2)


def make_parser(prog: str, description: str) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The top-level parser of a tool and its sub-command group."""
    parser = Parser(prog=prog, description=description, formatter_class=HelpFormatter)
    return parser, parser.add_subparsers(dest="command", required=True, parser_class=Parser)


def add_command(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """A sub-command parser with the shared formatter (defaults shown) and ``--debug``."""
    parser = sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".", formatter_class=HelpFormatter)
    parser.add_argument("--debug", action="store_true", help="print Python tracebacks of unexpected failures")
    return parser


# Options a user may reasonably guess that do not exist on a command, with what to use instead.
HINTS = {
    ("upscale", "--scale"): "upscale has no --scale: the model fixes the factor; use --outscale X to resize the result, "
                            "or --model for a model of another scale",
    ("run", "--scale"): "translate run keeps the image size; there is no --scale",
    ("upscale", "--overlap"): "use --tile-overlap",
    ("run", "--overlap"): "use --tile-overlap",
}


OFFLINE_VARIABLE = "GANSUITE_OFFLINE"


def add_offline_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offline", action="store_true",
                        help=f"never download: a named model must already be cached (also: {OFFLINE_VARIABLE}=1)")


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
    _refuse_options_after_double_dash(parser, args, argv)
    args.given = given_options(parser, argv)
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt) if threading.current_thread() is threading.main_thread() else None
    offline_before = os.environ.get(OFFLINE_VARIABLE)
    if getattr(args, "offline", False):  # for this command only (main() may run again in one process)
        os.environ[OFFLINE_VARIABLE] = "1"
    try:
        return commands[args.command](args)
    except UserError as exc:
        error_line(str(exc))
        return 2
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        error_line(f"unexpected {type(exc).__name__}: {exc} (--debug shows the traceback)")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if offline_before is None:
            os.environ.pop(OFFLINE_VARIABLE, None)
        else:
            os.environ[OFFLINE_VARIABLE] = offline_before


def given_options(parser: argparse.ArgumentParser, argv: list[str] | None) -> set[str]:
    """The ``dest`` of every option the user typed (aliases and abbreviations included): ``argv`` parsed again with
    every default suppressed, so only typed options land in the namespace. Lets ``--resume`` tell a typed value
    from a default."""
    import sys

    words = sys.argv[1:] if argv is None else list(argv)
    parsers = [parser] + [p for a in parser._actions if isinstance(a, argparse._SubParsersAction) for p in a.choices.values()]
    saved = [(p, p._defaults, [(a, a.default) for a in p._actions]) for p in parsers]
    try:
        for p in parsers:
            p._defaults = {}
            for action in p._actions:
                action.default = argparse.SUPPRESS
        typed, _ = parser.parse_known_args(words)
    finally:
        for p, defaults, actions in saved:
            p._defaults = defaults
            for action, default in actions:
                action.default = default
    return set(vars(typed)) - {"command"}


def _refuse_options_after_double_dash(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str] | None) -> None:
    """After ``--`` every word is an input (so ``-photo.png`` can be one); an option name there that is no file
    was meant as an option: say so, instead of "-o: no such file"."""
    import sys
    from pathlib import Path

    words = sys.argv[1:] if argv is None else argv
    if "--" not in words or not getattr(args, "inputs", None):
        return
    command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    after = words[words.index("--") + 1:]
    misplaced = [w for w in after if w in command._option_string_actions and not Path(w).exists()]
    if misplaced:
        parser.error(f"{misplaced[0]} comes after --, where every word is an input; put the options before --")


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so atomic writers remove their temporary files on the way out."""
    raise KeyboardInterrupt


def add_output_arguments(parser: argparse.ArgumentParser, suffix_help: str) -> None:
    """``-o/--output`` and the rest of the output grammar shared by the batch commands."""
    parser.add_argument("-o", "--output", "--out", dest="output",
                        help="output folder (created if missing), or a file name for a single input (default: beside each input)")
    parser.add_argument("--suffix", help=suffix_help)
    parser.add_argument("--ext", default="auto", help="output extension: auto (same as the input) or png, jpg, webp, tif")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never the inputs)")
    parser.add_argument("--include-outputs", action="store_true",
                        help="also process files that are this tool's own earlier results (skipped by default)")
    parser.add_argument("--max-pixels", type=COUNT, default=DEFAULT_MAX_PIXELS, help="refuse larger inputs (0: no limit)")
    parser.add_argument("--recursive", "-r", action="store_true", help="also take images in subfolders; -o mirrors their tree")
    parser.add_argument("--strip-metadata", action="store_true", help="write results without the input's ICC profile and EXIF")


def tile_size(allow_auto: bool):
    """An argparse ``type`` for ``--tile``: a size in 0..MAX_TILE, or ``auto`` where the command sizes tiles itself."""
    size = bounded(int, 0, MAX_TILE)

    def parse(text: str):
        if allow_auto and text == "auto":
            return "auto"
        try:
            return size(text)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc}; expected {'auto or ' if allow_auto else ''}a size in pixels") from None

    parse.__name__ = "tile size"
    return parse


def add_engine_arguments(parser: argparse.ArgumentParser, tile: int | str, tile_help: str, overlap_help: str) -> None:
    """Tiling, device and thread options shared by ``upscale`` and ``run`` (``tile="auto"``: the command accepts it)."""
    tile_type = tile_size(allow_auto=tile == "auto")
    parser.add_argument("--tile", type=tile_type, default=tile, help=tile_help + " (-t)")
    parser.add_argument("-t", dest="tile", type=tile_type, help=argparse.SUPPRESS, default=argparse.SUPPRESS)
    parser.add_argument("--tile-overlap", "--tile-pad", dest="tile_overlap", type=COUNT, help=overlap_help + " (--tile_pad)")
    parser.add_argument("--tile_pad", dest="tile_overlap", type=COUNT, help=argparse.SUPPRESS, default=argparse.SUPPRESS)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    parser.add_argument("--threads", type=cpu_bounded_count("threads"), default=0, help="CPU threads for torch or onnxruntime (0: one per core)")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The ONNX export options shared by both ``export`` commands (output, precision, verification)."""
    parser.add_argument("-o", "--output", "--out", dest="output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=bounded(int, 17), default=18, help="ONNX opset (17 or newer)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--fp16", action="store_true", help="float16 weights and activations, fp32 input/output (GPU deployment)")
    precision.add_argument("--int8", metavar="CALIB_DIR", help="static int8 quantisation calibrated on this image folder (CPU deployment)")
    parser.add_argument("--int8-max-levels", type=bounded(int, 0, 255), metavar="N",
                        help="with --int8: the most 8-bit levels int8 may differ from fp32 on the verification image, else the fp32 "
                             "graph is written (default 4; translation: no level bar, a 38 dB PSNR floor against fp32 instead)")
    parser.add_argument("--int8-keep", action="store_true", help="with --int8: keep int8 even where it measures slower or less exact than fp32")
    parser.add_argument("--io", choices=("float", "uint8"), default="float",
                        help="uint8: an image-in, image-out graph (uint8 HxWx4 RGBA, as canvas ImageData, in and out; grey, alpha, "
                             "padding, clamping and rounding inside) for apps; float (default): float NCHW")
    parser.add_argument("--input-size", metavar="HxW", help="a fixed-size graph (batch 1, e.g. 256x256) for runtimes without dynamic "
                                                         "shapes (OpenCV 4.x DNN, some mobile/WebGPU paths); consumers run it on windows of this size")
    parser.add_argument("--verify-image", help="real image for the export check (default: the first calibration image or a synthetic one)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")


def add_loop_arguments(parser: argparse.ArgumentParser, workers: int = 0) -> None:
    """The generic training loop's options, shared by every ``train`` command."""
    parser.add_argument("--seed", type=COUNT, default=0, help="seed of every random number generator")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    parser.add_argument("--workers", type=cpu_bounded_count("worker processes"), default=workers,
                        help="data-loading worker processes (0: in the main process)")
    parser.add_argument("--log-every", type=COUNT, default=50, help="steps between log lines / metrics.jsonl records (0: off)")
    parser.add_argument("--checkpoint-every", type=COUNT, default=1000, help="steps between checkpoints (0: only at the end; always saved on Ctrl-C/SIGTERM)")
    parser.add_argument("--sample-every", type=COUNT, default=500, help="steps between sample grids in samples/ and index.html (0: off)")


def loop_config_from_args(args: argparse.Namespace, validate_every: int = 0):
    """A LoopConfig from the options of :func:`add_loop_arguments` plus ``--max-steps``, ``--batch-size``, ``--ema``."""
    from common.train.loop import LoopConfig

    return LoopConfig(
        max_steps=args.max_steps, batch_size=args.batch_size, seed=args.seed, device=args.device, ema_decay=args.ema,
        num_workers=args.workers, log_every=args.log_every, checkpoint_every=args.checkpoint_every,
        sample_every=args.sample_every, validate_every=validate_every,
    )
