"""Running an image function over many files: output naming, no overwriting, skipping the tool's own earlier
results, one error line per bad file, atomic writes. Used by ``superres upscale`` and ``translate run``."""
from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from common.core.console import console, error_line, escape, log, make_progress
from common.core.errors import UserError
from common.core.files import remove_stale_partials
from common.io.images import IMAGE_SUFFIXES, check_regular_file, list_images, read_image, read_software_marker, write_image
from common.io.metadata import read_metadata
from common.io.provenance import is_done, provenance_marker

ImageFunction = Callable[..., np.ndarray]
TILE_PROGRESS_PIXELS = 4_000_000  # images this large get a bar of their tiles
MARKER_PREFIX = "gansuite"
# Extensions of files this tool reads or writes nothing of (animations, video, camera raw, documents): an -o
# ending in one is a mistaken file name, never a folder to create.
NOT_IMAGE_OUTPUTS = (".gif", ".apng", ".heic", ".heif", ".avif", ".jxl", ".jp2", ".svg", ".ico", ".tga", ".exr", ".hdr",
                     ".psd", ".dng", ".cr2", ".nef", ".arw", ".pdf", ".txt", ".json", ".mp4", ".mov", ".avi", ".mkv",
                     ".webm", ".m4v")


@dataclass(frozen=True)
class OutputOptions:
    """Where results are written and which inputs are taken.

    Attributes:
        output: folder, or a file name when there is one input (None: beside each input).
        suffix: added to result names; ext: ``auto`` (the input's) or an extension.
        overwrite: replace existing results (never an input).
        max_pixels: refuse larger inputs (None: no limit).
        include_outputs: also process files found in folders/globs that are this tool's earlier results.
        marker: written into each result's Software tag (e.g. ``gansuite superres``), so later runs know it.
        output_suffixes: regex of the suffixes this tool gives results, to recognise those without a marker.
        debug: print the traceback of an unexpected failure (otherwise one line per file).
        settings: what decides a result's pixels (model, options); a re-run with the same settings skips the
            results already done, found by the source and settings recorded in their Software tag.
        recursive: folders are walked with their subfolders, whose tree the output folder mirrors.
        strip_metadata: results carry no ICC profile or EXIF of their source (kept by default).
    """

    output: str | None = None
    suffix: str = ""
    ext: str = "auto"
    overwrite: bool = False
    max_pixels: int | None = 100_000_000
    include_outputs: bool = False
    marker: str = MARKER_PREFIX
    output_suffixes: str = ""
    debug: bool = False
    settings: str = ""
    recursive: bool = False
    strip_metadata: bool = False

    def __post_init__(self) -> None:
        check_output_names(self.output, self.suffix, self.ext)


def check_output_names(output: str | None, suffix: str, ext: str) -> None:
    """Refuse names that would leave the output folder or write what the user did not ask for.

    Raises:
        UserError: naming ``-o``, ``--suffix`` or ``--ext``: a NUL byte; a suffix with a path separator;
            an extension that is not an image type written here; an ``-o`` ending in a non-image extension.
    """
    writable = ", ".join(s.lstrip(".") for s in IMAGE_SUFFIXES)
    if ext != "auto" and ("." + ext.lower().lstrip(".") not in IMAGE_SUFFIXES):
        raise UserError(f"--ext {ext!r}: not an image type written here; use auto or one of {writable}")
    if any(ch in suffix for ch in "/\\\0"):
        raise UserError(f"--suffix {suffix!r}: must be a plain part of a file name (no /, \\ or NUL)")
    if output is not None:
        if "\0" in output:
            raise UserError(f"-o {output!r}: holds a NUL byte")
        kind = Path(output).suffix.lower()
        if kind in NOT_IMAGE_OUTPUTS and not Path(output).is_dir():
            raise UserError(f"-o {output}: {kind} is not an image type written here; name a {writable} file, or a folder")


def output_options_from_args(args: argparse.Namespace, suffix: str, marker: str, output_suffixes: str, settings: str = "") -> OutputOptions:
    """OutputOptions from the options of :func:`common.cli.grammar.add_output_arguments`. A suffix that does not
    start with ``_``, ``-``, ``.`` or a space gets an ``_`` in front, as Real-ESRGAN's ``--suffix out`` does."""
    check_output_names(args.output, suffix, args.ext)  # as typed, so the message quotes the user's words
    return OutputOptions(output=args.output, suffix=normalised_suffix(suffix), ext=args.ext, overwrite=args.overwrite, max_pixels=args.max_pixels or None,
                         include_outputs=args.include_outputs, marker=marker, output_suffixes=output_suffixes,
                         debug=getattr(args, "debug", False), settings=settings, recursive=getattr(args, "recursive", False),
                         strip_metadata=getattr(args, "strip_metadata", False))


def normalised_suffix(suffix: str) -> str:
    """A suffix that does not start with ``_``, ``-``, ``.`` or a space gets an ``_`` (Real-ESRGAN's ``--suffix out``)."""
    return "_" + suffix if suffix and suffix[0] not in "_-. " else suffix


def output_path(source: Path, options: OutputOptions, single_input: bool, subfolder: Path = Path(".")) -> Path:
    """Where the result for ``source`` goes: ``<output or source folder>/<subfolder>/<stem><suffix>.<ext>``, or
    ``output`` itself when it names an image file and there is one input. ``subfolder`` (``--recursive``) is where
    ``source`` sits below the input folder it was found in; beside each input it is not used."""
    if options.output and single_input and Path(options.output).suffix.lower() in IMAGE_SUFFIXES:
        return Path(options.output)
    folder = Path(options.output) / subfolder if options.output else source.parent
    ext = source.suffix if options.ext == "auto" else "." + options.ext.lstrip(".")
    return folder / f"{source.stem}{options.suffix}{ext}"


def _subfolders(inputs: list[str], sources: list[Path], recursive: bool) -> dict[Path, Path]:
    """For ``--recursive``: each source found under an input folder -> its folder relative to that input."""
    if not recursive:
        return {}
    roots = [Path(entry) for entry in inputs if Path(entry).is_dir()]
    found = {}
    for source in sources:
        for root in roots:
            if source.is_relative_to(root):
                found[source] = source.parent.relative_to(root)
                break
    return found


def _check_target(source: Path, target: Path, overwrite: bool, marker: str) -> bool:
    """True when ``target`` is already this source's finished result (skip it); raises when it must not be written."""
    if os.path.realpath(target) == os.path.realpath(source):  # realpath: a symlink loop must not raise here
        raise UserError(f"{source}: output would overwrite the input; choose another -o, --suffix or --ext")
    if target.exists() and not overwrite:
        if is_done(target, marker):
            return True
        raise UserError(f"{target}: already exists, not made from {source.name} with these settings (pass --overwrite to replace it)")
    return False


def _make_output_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UserError(f"-o {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"-o {folder}: cannot create the folder ({exc.strerror or exc})") from None


def _remove_stale_partials(targets: list[Path]) -> None:
    """Temporary files that a killed earlier run (SIGKILL, power loss) left while writing one of ``targets``."""
    by_folder: dict[Path, set[str]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(target.name)
    removed = sum(remove_stale_partials(folder, names) for folder, names in by_folder.items())
    if removed:
        log(f"removed {removed} temporary file(s) left by an interrupted earlier run")


def _is_earlier_output(path: Path, siblings: set[Path], options: OutputOptions) -> bool:
    """A result of this tool: its Software tag says so, or its name is another input's name + one of our suffixes."""
    marker = read_software_marker(path)
    if marker and marker.startswith(MARKER_PREFIX):
        return True
    pattern = "|".join(p for p in (re.escape(options.suffix) if options.suffix else "", options.output_suffixes) if p)
    match = re.fullmatch(rf"(.+?)(?:{pattern})", path.stem) if pattern else None
    return bool(match) and any(s.parent == path.parent and s.stem == match.group(1) for s in siblings)


def _with_tile_bar(progress, source: Path, function: ImageFunction, pixels: np.ndarray) -> np.ndarray:
    """``function(pixels, progress)`` with a transient bar of tiles done for ``source``."""
    task = progress.add_task(f"  tiles of {escape(source.name)}", total=None, info="")
    try:
        return _named(source, function, pixels, lambda done, total: progress.update(task, completed=done, total=total))
    finally:
        progress.remove_task(task)


def _named(source: Path, function: ImageFunction, pixels: np.ndarray, *progress) -> np.ndarray:
    """``function(pixels)``, with a user error that does not name a file said of ``source``."""
    try:
        return function(pixels, *progress)
    except UserError as exc:
        message = str(exc)
        raise UserError(message if message.startswith(str(source)) else f"{source}: {message}") from None


def collect_sources(inputs: list[str], options: OutputOptions) -> list[Path]:
    """Expand inputs; files reached through a folder or glob that are earlier results are left out (said once).
    Files named explicitly are always taken."""
    sources: list[Path] = []
    expanded: list[Path] = []
    for entry in inputs:
        found = list_images([entry], options.recursive)
        if not options.recursive and Path(entry).is_dir():
            subfolders = [p for p in Path(entry).iterdir() if p.is_dir() and not p.name.startswith(".")]
            if subfolders:
                log(f"{escape(entry)}: {len(subfolders)} subfolder(s) not searched (--recursive takes them, mirroring the tree)")
        (sources if found == [Path(entry)] else expanded).extend(found)
    skipped: list[Path] = []
    if not options.include_outputs:
        everything = set(sources) | set(expanded)
        skipped = [path for path in expanded if _is_earlier_output(path, everything, options)]
    if skipped:
        names = ", ".join(escape(p.name) for p in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        log(f"skipped {len(skipped)} earlier gansuite result(s): {names} (--include-outputs processes them)")
    chosen = set(skipped)
    return list(dict.fromkeys(sources + [p for p in expanded if p not in chosen]))


def process_files(function: ImageFunction, inputs: list[str], options: OutputOptions, description: str = "process",
                  tile_progress: bool = False) -> list[Path]:
    """Apply ``function`` ((H, W, C) uint8/uint16 -> array of the same dtype) to every image and write the
    results; returns the files that failed (each already reported on one line).

    With ``tile_progress``, ``function(pixels, progress)`` is given a ``progress(done, total)`` callback for images
    of :data:`TILE_PROGRESS_PIXELS` or more, shown as a second bar (a large photo at x4 takes minutes)."""
    sources = collect_sources(inputs, options)
    if not sources:
        raise UserError(f"{' '.join(inputs)}: no image files to process")
    names_a_file = bool(options.output) and Path(options.output).suffix.lower() in IMAGE_SUFFIXES
    if names_a_file and len(sources) > 1:
        raise UserError(f"-o {options.output}: names one file, but there are {len(sources)} inputs; give a folder")
    if options.output and not names_a_file:
        _make_output_folder(Path(options.output))
    subfolders = _subfolders(inputs, sources, options.recursive)
    targets = {source: output_path(source, options, len(sources) == 1, subfolders.get(source, Path("."))) for source in sources}
    _remove_stale_partials(list(targets.values()))
    failures: list[Path] = []
    done: list[Path] = []
    with make_progress() as progress:
        overall = progress.add_task(description, total=len(sources), info="")
        for source in sources:
            progress.update(overall, info=escape(source.name))
            try:
                target = targets[source]
                check_regular_file(source)  # before hashing it: a FIFO or a link loop is reported as what it is
                marker = provenance_marker(options.marker, source, options.settings)
                if _check_target(source, target, options.overwrite, marker):
                    done.append(source)
                    progress.advance(overall)
                    continue
                pixels = read_image(source, options.max_pixels)
                if tile_progress and pixels.shape[0] * pixels.shape[1] >= TILE_PROGRESS_PIXELS:
                    result = _with_tile_bar(progress, source, function, pixels)
                else:
                    result = _named(source, function, pixels)
                if target.parent != Path(options.output or target.parent):
                    target.parent.mkdir(parents=True, exist_ok=True)  # a subfolder mirrored by --recursive
                metadata = None if options.strip_metadata else read_metadata(source)
                write_image(target, result, marker=marker, overwrite=options.overwrite, metadata=metadata)
                log(f"{escape(str(source))} -> {escape(str(target))} ({result.shape[1]}x{result.shape[0]})")
            except UserError as exc:
                error_line(str(exc))
                failures.append(source)
            except MemoryError:
                error_line(f"{source}: out of memory; use a smaller --tile")
                failures.append(source)
            except OSError as exc:  # unreadable input, read-only or full output disk, name too long, symlink loop
                error_line(f"{source}: {exc.strerror or type(exc).__name__}{f' ({exc.filename})' if exc.filename else ''}")
                failures.append(source)
            except Exception as exc:  # a bug or an input nobody foresaw: report it, go on with the others
                if options.debug:
                    console.print_exception()
                error_line(f"{source}: unexpected {type(exc).__name__}: {exc} (--debug shows the traceback)")
                failures.append(source)
            progress.advance(overall)
    if done:
        made = len(sources) - len(done) - len(failures)
        log(f"{len(done)} already done, {made} new (results of the same input and settings are kept; --overwrite redoes them)")
    if failures:
        console.print(f"[red]{len(failures)} of {len(sources)} image(s) failed[/]")
    return failures
