"""Video inputs of ``superres upscale`` and ``translate run``: their options, output names, the progress bar with
frames per second, and one error line per failed video (the batch goes on)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import numpy as np

from common.cli.grammar import bounded
from common.core.console import console, error_line, escape, log, make_progress
from common.core.errors import UserError
from common.video.encode import DEFAULT_CRF, FORMATS
from common.video.process import VideoOptions, VideoResult, process_video
from common.video.source import is_video_name

CRF = bounded(int, 0, 51)


def frame_range(text: str) -> tuple[int, int | None]:
    """``A:B`` (frames A to B-1), ``A:`` (from A to the end) or ``:B``, frame numbers from 0."""
    start, sep, stop = text.partition(":")
    try:
        first, last = int(start or 0), (int(stop) if stop else None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected A:B, frame numbers from 0 (e.g. 0:100)") from None
    if not sep or first < 0 or (last is not None and last <= first):
        raise argparse.ArgumentTypeError(f"{text!r}: expected A:B with 0 <= A < B (e.g. 0:100, or 250: to the end)")
    return first, last


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that apply to video inputs."""
    group = parser.add_argument_group("video inputs (mp4, mkv, mov, webm, ...: frames in, a video with the source's sound out)")
    group.add_argument("--crf", type=CRF, default=DEFAULT_CRF, help="quality, x264's scale: 0 lossless, 18 visually lossless, 23 x264's default")
    group.add_argument("--codec", help="video encoder (default: libx264 where the container holds it, else the best the PyAV build has)")
    group.add_argument("--pix-fmt", help="encoded pixel format, e.g. yuv420p or yuv444p (default: the source's, where the encoder takes it)")
    group.add_argument("--frames", type=frame_range, metavar="A:B", help="only frames A to B-1, for a quick preview (e.g. 0:48)")
    group.add_argument("--on-corrupt", choices=("skip", "stop"), default="skip",
                       help="undecodable packets in the middle: skip them and say how many, or stop with an error")


def split_videos(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Inputs named as video files (by their extension), and the rest (images, folders, globs)."""
    videos = [Path(entry) for entry in inputs if is_video_name(entry) and not Path(entry).is_dir()]
    return videos, [entry for entry in inputs if not (is_video_name(entry) and not Path(entry).is_dir())]


def video_target(source: Path, output: str | None, suffix: str, single: bool) -> Path:
    """``-o`` itself when it names a video file and there is one input, else ``<-o folder or beside>/<stem><suffix><ext>``
    (the source's extension, or .mkv where it names no container we write)."""
    if output and single and is_video_name(output):
        return Path(output)
    if output and is_video_name(output):
        raise UserError(f"-o {output}: names one video, but there are several inputs; give a folder")
    ext = source.suffix if source.suffix.lower() in FORMATS else ".mkv"
    return (Path(output) if output else source.parent) / f"{source.stem}{suffix}{ext}"


def video_options_from_args(args: argparse.Namespace, marker: str, settings: str) -> VideoOptions:
    return VideoOptions(codec=args.codec, crf=args.crf, pix_fmt=args.pix_fmt, frames=args.frames, on_corrupt=args.on_corrupt,
                        overwrite=args.overwrite, marker=marker, settings=settings)


def _one(function, source: Path, target: Path, options: VideoOptions, progress) -> VideoResult:
    """One video with a bar of frames done, frames per second (from the first frame on, so model loading and
    warm-up do not count) and the time left."""
    task = progress.add_task(escape(source.name), total=None, info="")
    first: list[tuple[int, float]] = []

    def advance(done: int, total: int) -> None:
        if not first:
            first.append((done, time.monotonic()))
        base, since = first[0]
        rate = (done - base) / max(1e-9, time.monotonic() - since)
        progress.update(task, completed=done, total=total, info=f"{rate:.2f} frames/s" if done > base else "")

    try:
        return process_video(source, target, function, options, advance)
    finally:
        progress.remove_task(task)


def run_videos(function: Callable[[np.ndarray], np.ndarray], videos: list[Path], args: argparse.Namespace, suffix: str,
               marker: str, settings: str, single: bool) -> list[Path]:
    """Process each video; returns those that failed (each reported on one line). ``single``: the command has one
    input, so an ``-o`` naming a video file is that video's output."""
    from common.io.batch import normalised_suffix
    from common.io.provenance import provenance_marker

    suffix, failures = normalised_suffix(suffix), []
    if args.output and not is_video_name(args.output):
        Path(args.output).mkdir(parents=True, exist_ok=True)
    with make_progress() as progress:
        for source in videos:
            try:
                if not source.is_file():
                    raise UserError(f"{source}: no such file" if not source.exists() else f"{source}: not a regular file")
                target = video_target(source, args.output, suffix, single)
                options = video_options_from_args(args, provenance_marker(marker, source, settings), settings)
                result = _one(function, source, target, options, progress)
                if result.skipped:
                    log(f"{escape(str(source))}: {escape(str(target))} is already done (--overwrite redoes it)")
                else:
                    resumed = f", resumed after {result.resumed_from}" if result.resumed_from else ""
                    log(f"{escape(str(source))} -> {escape(str(target))} ({result.frames} frames of {result.size[0]}x{result.size[1]}{resumed})")
            except UserError as exc:
                error_line(str(exc))
                failures.append(source)
            except OSError as exc:  # a full disk, a read-only folder
                error_line(f"{source}: {exc.strerror or type(exc).__name__}{f' ({exc.filename})' if exc.filename else ''}")
                failures.append(source)
    if failures:
        console.print(f"[red]{len(failures)} of {len(videos)} video(s) failed[/]")
    return failures
