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
