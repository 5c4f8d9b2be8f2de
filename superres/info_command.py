"""``superres info FILE``: what a model file is and what loads it."""
from __future__ import annotations

import argparse
import json

from common.cli.grammar import add_command


def add_info(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "info", "what a model file is: format, architecture, scale, parameters, and what loads it")
    p.add_argument("files", nargs="+", metavar="FILE", help="model files (.pth, .pt, .ckpt, .pth.tar, .safetensors, .onnx, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON object per file instead")


def run_info(args: argparse.Namespace) -> int:
    from common.core.console import console
    from common.core.errors import UserError
    from superres.file_info import describe_model_file

    failures = 0
    for name in args.files:
        try:
            info = describe_model_file(name)
        except UserError as exc:
            info = {"file": name, "problem": str(exc).removeprefix(f"{name}: ")}
        failures += "problem" in info
        if args.json:
            print(json.dumps(info))
            continue
        console.print(f"[bold]{info['file']}[/]", highlight=False)
        for key in ("format", "architecture", "scale", "parameters", "in_channels", "receptive_radius", "loader", "problem", "inputs"):
            if info.get(key) is not None:
                value = f"{info[key]:,}" if key == "parameters" else info[key]
                console.print(f"  {key.replace('_', ' ')}: {value}", highlight=False, markup=False)
    return 1 if failures else 0
