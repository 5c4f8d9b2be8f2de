"""Running a per-frame image function over a video: decode, apply, encode in resumable segments, join with the
source's other streams, publish. Used by ``superres upscale`` and ``translate run`` for video inputs.

Memory does not grow with the clip's length: one frame is in flight at a time and finished segments are files.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from common.core.console import log
from common.core.errors import UserError
from common.core.files import publish_temp_file, remove_stale_partials
from common.video.encode import (DEFAULT_CRF, GLOBAL_HEADER, EncoderSettings, FrameEncoder, choose_encoder, choose_pix_fmt,
                                 describe_choice, encoder_options, format_for, needs_even_sides)
from common.video.join import Window, join_segments
from common.video.segments import Journal, SegmentWriter, fingerprint, work_folder
from common.video.source import DecodeReport, OnCorrupt, VideoInfo, decode_frames, probe_video

FrameFunction = Callable[[np.ndarray], np.ndarray]
Progress = Callable[[int, int], None]
SEGMENT_FRAMES = 48  # frames per resumable segment: at most this much work is redone after an interruption


@dataclass(frozen=True)
class VideoOptions:
    """How a video is written.

    Attributes:
        codec: encoder name (None: the best the PyAV build offers for the container, H.264 where it can).
        crf: quality, x264's scale (0 lossless, 18 visually lossless, 23 x264's default, 51 worst).
        pix_fmt: encoded pixel format (None: the source's, where the encoder takes it).
        frames: (start, stop) frame numbers to process, stop exclusive or None for the end (None: all).
        on_corrupt: ``skip`` undecodable packets and say how many, or ``stop`` with an error.
        overwrite: replace an existing output (never the input).
        marker: provenance written into the output's comment tag (a finished one with the same marker is skipped).
        settings: what decides the pixels (model, options), for the resume journal.
        segment_frames: frames per resumable segment.
    """

    codec: str | None = None
    crf: int = DEFAULT_CRF
    pix_fmt: str | None = None
    frames: tuple[int, int | None] | None = None
    on_corrupt: OnCorrupt = "skip"
    overwrite: bool = False
    marker: str = "gansuite"
    settings: str = ""
    segment_frames: int = SEGMENT_FRAMES


@dataclass(frozen=True)
class VideoResult:
    """What :func:`process_video` did: ``frames`` written, ``corrupt`` packets skipped, ``resumed_from`` frames
    an earlier run had finished, the ``encoder`` chosen, the streams ``dropped``; ``skipped``: already done."""

    target: Path
    frames: int = 0
    corrupt: int = 0
    resumed_from: int = 0
    encoder: str = ""
    dropped: tuple[str, ...] = ()
    skipped: bool = False
    size: tuple[int, int] = (0, 0)


def _free_frames_at_once() -> None:
    """glibc raises its mmap threshold each time a large block is freed, after which frame-sized arrays come from
    the heap and fragment it: the resident size then crept up by about 25 MB per segment (2560x1440 frames,
    ``benchmarks/video_speed.py``). A fixed 1 MiB threshold returns every frame to the system when freed, and the
    resident size stays flat. A no-op where the C library is not glibc."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def read_comment(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path)) as container:
            return container.metadata.get("comment")
    except (av.error.FFmpegError, OSError):
        return None


def _check_target(source: Path, target: Path, options: VideoOptions) -> bool:
    """True when ``target`` is already this source's finished result; raises when it must not be written."""
    if target.exists() and os.path.realpath(target) == os.path.realpath(source):
        raise UserError(f"{source}: output would overwrite the input; choose another -o or --suffix")
    if target.exists() and not options.overwrite:
        if read_comment(target) == options.marker:
            return True
        raise UserError(f"{target}: already exists, not made from {source.name} with these settings (pass --overwrite to replace it)")
    if not target.parent.is_dir():
        raise UserError(f"-o {target}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise UserError(f"{target}: cannot write in {target.parent} (permission denied)")
    return False


def _encoder_settings(info: VideoInfo, encoder: str, pix_fmt: str, crf: int, size: tuple[int, int], global_header: bool) -> EncoderSettings:
    return EncoderSettings(encoder=encoder, options=tuple(sorted(encoder_options(encoder, crf).items())), pix_fmt=pix_fmt,
                           width=size[0], height=size[1], time_base=info.time_base, rate=info.rate, global_header=global_header,
                           colorspace=info.colorspace, color_range=info.color_range, color_primaries=info.color_primaries,
                           color_trc=info.color_trc)


def _even_size(result: np.ndarray, pix_fmt: str, source: Path) -> tuple[int, int]:
    height, width = result.shape[:2]
    if needs_even_sides(pix_fmt):
        height, width = height + height % 2, width + width % 2
    if (width, height) != (result.shape[1], result.shape[0]):
        log(f"{source.name}: frames of {result.shape[1]}x{result.shape[0]} are encoded as {width}x{height} "
            f"({pix_fmt} needs even sides; the edge row or column is repeated)")
    return width, height


def process_video(source: str | os.PathLike, target: str | os.PathLike, function: FrameFunction, options: VideoOptions = VideoOptions(),
                  progress: Progress | None = None) -> VideoResult:
    """Apply ``function`` ((H, W, 3) uint8, or uint16 for deep sources -> an array of the same dtype) to every
    frame of ``source`` and write ``target`` with the source's timestamps, rotation, colour tags and other streams.

    An interrupted run resumes where it stopped when called again with the same arguments; ``target`` appears only
    when complete. ``progress(done, total)`` is called after each frame (total is the header's estimate).

    Raises:
        UserError: naming the file: not a video, no video stream, no frames, corrupt data (with ``stop``), an
            output that exists or cannot be written, an encoder or pixel format that does not fit.
    """
    source, target = Path(source), Path(target)
    _free_frames_at_once()
    info = probe_video(source)
    if _check_target(source, target, options):
        return VideoResult(target=target, skipped=True)
    format_name = format_for(target)
    encoder = choose_encoder(format_name, options.codec)
    pix_fmt = choose_pix_fmt(encoder, options.pix_fmt, info.pix_fmt, info.bit_depth)
    describe_choice(encoder, pix_fmt, options.crf, options.codec)
    import av

    global_header = bool(av.format.ContainerFormat(format_name, "w").flags & GLOBAL_HEADER)
    start, stop = options.frames or (0, None)
    work = f"{options.settings} | {encoder} {pix_fmt} crf={options.crf} {format_name} frames={start}:{stop} " \
           f"segment={options.segment_frames} av={av.__version__}"
    try:
        journal = Journal.open(work_folder(target), fingerprint(source, work))
    except OSError as exc:
        raise UserError(f"{target}: cannot write beside it ({exc.strerror or exc})") from None
    resumed_from = journal.frames
    if resumed_from:
        log(f"{source.name}: resuming after frame {start + resumed_from} ({len(journal.segments)} finished segment(s) kept)")
    total = max(0, (min(stop, info.frames) if stop is not None and info.frames else (stop or info.frames)) - start)
    report = DecodeReport()
    segment: _Segment | None = None  # the segment being made
    first_pts = last_pts = None
    settings: EncoderSettings | None = None
    count = 0
    try:
        for frame in decode_frames(info, start, stop, options.on_corrupt, report, convert_from=start + resumed_from):
            first_pts = frame.pts if first_pts is None else first_pts
            last_pts = frame.pts
            count += 1
            if frame.pixels is None:
                continue
            result = function(frame.pixels)
            if settings is None:
                size = _even_size(result, pix_fmt, source)
                if journal.size and tuple(journal.size) != size:
                    raise UserError(f"{source}: frames are now {size[0]}x{size[1]}, the earlier segments {journal.size[0]}x"
                                    f"{journal.size[1]}; run again with --overwrite")
                settings = _encoder_settings(info, encoder, pix_fmt, options.crf, size, global_header)
            if segment is None:
                segment = _Segment(journal, settings)
            segment.add(result, frame.pts)
            if segment.frames == options.segment_frames:
                segment.finish(journal)
                segment = None
            if progress is not None:
                progress(count, max(total, count))
        if segment is not None:
            segment.finish(journal)
            segment = None
    finally:
        if segment is not None:
            segment.writer.discard()
    if count == 0:
        where = f" in frames {start}:{'' if stop is None else stop}" if options.frames else ""
        raise UserError(f"{source}: no video frames{where} could be decoded" + (f" ({report.corrupt} corrupt packet(s))" if report.corrupt else ""))
    if settings is None:  # every frame was done by an earlier run: the settings are those of its segments
        settings = _encoder_settings(info, encoder, pix_fmt, options.crf, tuple(journal.size), global_header)
    window = Window()
    if start > 0 or stop is not None:
        end = last_pts + (round(1 / (info.rate * info.time_base)) if info.rate else 1)
        window = Window(start=first_pts * info.time_base, stop=end * info.time_base, shift=first_pts * info.time_base if start > 0 else Fraction(0))
    if report.corrupt:
        log(f"warning: {source.name}: skipped {report.corrupt} corrupt packet(s) or frame(s) (--on-corrupt stop refuses them)")
    dropped = _publish(target, format_name, journal, settings, info, window, options)
    return VideoResult(target=target, frames=count, corrupt=report.corrupt, resumed_from=resumed_from, encoder=encoder,
                       dropped=tuple(dropped), size=(settings.width, settings.height))


class _Segment:
    """The segment being encoded: its own encoder, its packet file, and how many frames it holds so far."""

    def __init__(self, journal: Journal, settings: EncoderSettings):
        self.name = f"segment_{len(journal.segments):06d}.bin"
        self.settings = settings
        self.writer, self.encoder, self.frames = SegmentWriter(journal.folder / self.name), FrameEncoder(settings), 0

    def add(self, pixels: np.ndarray, pts: int) -> None:
        self.writer.write(self.encoder.encode(pixels, pts))
        self.frames += 1

    def finish(self, journal: Journal) -> None:
        """Flush the encoder, publish the file, then record it in the journal (in that order: the journal
        names only whole segments)."""
        self.writer.write(self.encoder.flush())
        self.writer.publish()
        journal.add(self.name, self.frames, self.encoder.extradata, (self.settings.width, self.settings.height))


def _publish(target: Path, format_name: str, journal: Journal, settings: EncoderSettings, info: VideoInfo, window: Window,
             options: VideoOptions) -> list[str]:
    remove_stale_partials(target.parent, {target.name})  # a join killed by SIGKILL or a power cut left its temporary file
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    try:
        dropped = join_segments(tmp_name, format_name, [journal.folder / n for n in journal.segments], settings, journal.extradata,
                                info, window, options.marker)
        with open(tmp_name, "rb+") as written:
            os.fsync(written.fileno())
        publish_temp_file(tmp_name, target, overwrite=options.overwrite)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    journal.remove()
    return dropped
