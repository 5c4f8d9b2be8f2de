"""Running an image function over many files: output naming, no overwriting, one error line per bad file,
atomic writes. Used by ``superres upscale`` and ``translate run``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from common.console import console, error_line, log, make_progress
from common.errors import UserError
from common.imageio import IMAGE_SUFFIXES, list_images, read_image, write_image


ImageFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class OutputOptions:
    """Where results are written: ``output`` folder (or file for one input), name ``suffix``, extension."""

    output: str | None = None
    suffix: str = ""
    ext: str = "auto"
    overwrite: bool = False
    max_pixels: int | None = 100_000_000


def output_path(source: Path, options: OutputOptions, single_input: bool) -> Path:
    """Where the result for ``source`` goes: ``<output or source folder>/<stem><suffix>.<ext>``, or ``output``
    itself when it names an image file and there is one input."""
    if options.output and single_input and Path(options.output).suffix.lower() in IMAGE_SUFFIXES:
        return Path(options.output)
    folder = Path(options.output) if options.output else source.parent
    ext = source.suffix if options.ext == "auto" else "." + options.ext.lstrip(".")
    return folder / f"{source.stem}{options.suffix}{ext}"


def _check_target(source: Path, target: Path, overwrite: bool) -> None:
    if target.resolve() == source.resolve():
        raise UserError(f"{source}: output would overwrite the input; choose another -o, --suffix or --ext")
    if target.exists() and not overwrite:
        raise UserError(f"{target}: already exists (pass --overwrite to replace it)")


def process_files(function: ImageFunction, inputs: list[str], options: OutputOptions, description: str = "process") -> list[Path]:
    """Apply ``function`` ((H, W, C) uint8/uint16 -> array of the same dtype) to every image and write the
    results; returns the files that failed (each already reported on one line)."""
    sources = list_images(inputs)
    if not sources:
        raise UserError(f"{' '.join(inputs)}: no image files found")
    if options.output and not (len(sources) == 1 and Path(options.output).suffix.lower() in IMAGE_SUFFIXES):
        Path(options.output).mkdir(parents=True, exist_ok=True)
    failures: list[Path] = []
    with make_progress() as progress:
        overall = progress.add_task(description, total=len(sources), info="")
        for source in sources:
            progress.update(overall, info=source.name)
            try:
                target = output_path(source, options, len(sources) == 1)
                _check_target(source, target, options.overwrite)
                result = function(read_image(source, options.max_pixels))
                write_image(target, result)
                log(f"{source} -> {target} ({result.shape[1]}x{result.shape[0]})")
            except UserError as exc:
                error_line(str(exc))
                failures.append(source)
            except MemoryError:
                error_line(f"{source}: out of memory; use a smaller --tile")
                failures.append(source)
            progress.advance(overall)
    if failures:
        console.print(f"[red]{len(failures)} of {len(sources)} image(s) failed[/]")
    return failures
