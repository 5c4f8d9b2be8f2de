"""What every gansuite CLI shares: run a sub-command, turning user errors into one clear line and an exit code."""
from __future__ import annotations

import argparse
from typing import Callable

from common.console import error_line
from common.errors import UserError

Command = Callable[[argparse.Namespace], int]


def run_command(parser: argparse.ArgumentParser, commands: dict[str, Command], argv: list[str] | None) -> int:
    """Parse ``argv`` and run its sub-command. Exit codes: the command's own (0 ok, 1 some files failed),
    2 for a user error (printed as ``error: ...``, no traceback), 130 when interrupted."""
    args = parser.parse_args(argv)
    try:
        return commands[args.command](args)
    except UserError as exc:
        error_line(str(exc))
        return 2
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130


def add_loop_arguments(parser: argparse.ArgumentParser, workers: int = 0) -> None:
    """The generic training loop's options, shared by every ``train`` command."""
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--workers", type=int, default=workers)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--sample-every", type=int, default=500)


def loop_config_from_args(args: argparse.Namespace, validate_every: int = 0):
    """A LoopConfig from the options of :func:`add_loop_arguments` plus ``--max-steps``, ``--batch-size``, ``--ema``."""
    from common.train_loop import LoopConfig

    return LoopConfig(
        max_steps=args.max_steps, batch_size=args.batch_size, seed=args.seed, device=args.device, ema_decay=args.ema,
        num_workers=args.workers, log_every=args.log_every, checkpoint_every=args.checkpoint_every,
        sample_every=args.sample_every, validate_every=validate_every,
    )
