"""``superres models``: the embedded models and the released ones ``--model`` takes by name, and which are cached."""
from __future__ import annotations

import argparse

from common.cli.grammar import add_command, add_offline_argument


def add_models(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "models", "list the models --model takes by name (embedded, and released ones downloaded on first use)")
    p.add_argument("--fetch", nargs="+", metavar="NAME", help="download and verify these named models now")
    add_offline_argument(p)


def run_models(args: argparse.Namespace) -> int:
    from rich.table import Table

    from common.core.console import console, log
    from superres.named_models import cache_dir, fetch_named_model, is_cached, named_models

    for name in args.fetch or ():
        log(f"{name}: {fetch_named_model(name)}")
    wide = console.width >= 120  # the descriptions need room; a narrow terminal gets the facts only
    table = Table(title=f"models by name (downloads cached in {cache_dir()})")
    for column in ("name", "x", "arch", "MB", "licence", "cached") + (("what",) if wide else ()):
        table.add_column(column, justify="right" if column in ("x", "MB") else "left", no_wrap=column != "what")
    for name, what in (("default", "real-world photos (blur, noise, JPEG)"),
                       ("gan", "real-world photos, GAN-trained: finer texture, a zipper on saturated colour edges"),
                       ("clean", "clean, sharp sources")):
        table.add_row(name, "4", "lr_shuffle", "-", "gansuite", "embedded", *((what,) if wide else ()))
    for model in named_models().values():
        table.add_row(model.name, str(model.scale), model.arch, f"{model.size / 1e6:.1f}", model.licence,
                      "yes" if is_cached(model) else "no", *((model.description,) if wide else ()))
    console.print(table)
    return 0
