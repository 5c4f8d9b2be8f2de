"""What a video file holds, and its frames as arrays, decoded with PyAV (FFmpeg's libraries, inside the wheel).

Frames are numbered in display order as they come out of the decoder; a frame's ``pts`` is kept in the video
stream's own time base, so variable frame rates survive untouched.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Literal

import numpy as np

from common.core.errors import UserError

OnCorrupt = Literal["skip", "stop"]
# Names a user gives videos; a file named so goes the video way (its content decides whether it is one).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".ts", ".m2ts",
                  ".mts", ".3gp", ".ogv", ".nut", ".y4m")
MAX_FRAME_PIXELS = 100_000_000  # checked from the header before a frame is decoded


def is_video_name(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """The video stream of a file, as the header states it.

    Attributes:
        width, height: coded frame size in pixels (before the display rotation).
        time_base: unit of the frames' timestamps; rate: nominal frame rate (None when the file has none).
        frames: frame count from the header, or estimated from the duration (0: unknown).
        rotation: display rotation in degrees counter-clockwise (kept as a tag, never applied to the pixels).
        bit_depth: bits per sample of the decoded format (8, 10, 12 or 16); above 8, frames are uint16.
        colorspace, color_range, color_primaries, color_trc: the colour tags (FFmpeg's enum values).
        others: (index, kind, codec name) of each audio, subtitle, data or attachment stream.
    """

    path: Path
    width: int
    height: int
    time_base: Fraction
    rate: Fraction | None
    frames: int
    duration_s: float | None
    rotation: int
    pix_fmt: str
    bit_depth: int
    colorspace: int
    color_range: int
    color_primaries: int
    color_trc: int
    others: tuple[tuple[int, str, str], ...]


def _open(path: Path):
    import av

    try:
        return av.open(str(path), metadata_errors="replace")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a video") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied") from None
    except av.error.FFmpegError as exc:
        raise UserError(f"{path}: not a video FFmpeg can read ({exc.strerror or exc})") from None


def _bit_depth(pix_fmt: str) -> int:
    import av

    try:
        return max(component.bits for component in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return 8


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Read the header of ``path``.

    Raises:
        UserError: naming ``path``: not a readable video, no video stream, no frame size, or frames too large.
    """
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
            raise UserError(f"{path}: no video stream ({kinds})")
        stream = container.streams.video[0]
        context = stream.codec_context
        width, height = context.width, context.height
        if width <= 0 or height <= 0:
            raise UserError(f"{path}: the video stream has no frame size")
        if width * height > MAX_FRAME_PIXELS:
            raise UserError(f"{path}: frames of {width}x{height} are larger than {MAX_FRAME_PIXELS:,} pixels")
        rate = stream.average_rate or stream.guessed_rate or None
        duration = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / 1_000_000 if container.duration else None)
        frames = stream.frames or (round(duration * rate) if duration and rate else 0)
        pix_fmt = context.pix_fmt or "yuv420p"
        others = tuple((s.index, s.type, _codec_name(s)) for s in container.streams if s.index != stream.index)
        return VideoInfo(path=path, width=width, height=height, time_base=stream.time_base, rate=Fraction(rate) if rate else None,
                         frames=int(frames), duration_s=duration, rotation=_rotation(container, stream), pix_fmt=pix_fmt,
                         bit_depth=_bit_depth(pix_fmt), colorspace=int(context.colorspace), color_range=int(context.color_range),
                         color_primaries=int(context.color_primaries), color_trc=int(context.color_trc), others=others)


def _codec_name(stream) -> str:
    """FFmpeg's codec name (``subrip``, not the decoder's ``srt``), the one containers list as what they hold."""
    context = stream.codec_context
    return context.codec.canonical_name if context is not None and context.codec is not None else "unknown"


def _rotation(container, stream) -> int:
    """The display rotation, from the first decoded frame (where FFmpeg puts the stream's display matrix)."""
    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation or 0))
    except Exception:  # a file whose first packets do not decode: the decode loop reports it properly
        return 0
    return 0


@dataclass(frozen=True)
class DecodedFrame:
    """One frame: ``index`` in display order, ``pts`` in the stream's time base, ``pixels`` (H, W, 3) uint8
    (uint16 above 8 bits), converted with the frame's own colour matrix and range."""

    index: int
    pts: int
    pixels: np.ndarray


@dataclass
class DecodeReport:
    """Filled while decoding: what was skipped."""

    corrupt: int = 0


def _to_array(frame, bit_depth: int) -> np.ndarray:
    rgb = frame.reformat(format="rgb48le" if bit_depth > 8 else "rgb24", src_color_range=frame.color_range or None,
                         dst_color_range=frame.color_range or None)
    return rgb.to_ndarray()


def decode_frames(info: VideoInfo, start: int = 0, stop: int | None = None, on_corrupt: OnCorrupt = "skip",
                  report: DecodeReport | None = None, convert_from: int = 0) -> Iterator[DecodedFrame]:
    """Frames ``start`` to ``stop`` (exclusive) of ``info.path``; ``pixels`` is None below ``convert_from``
    (frames a resumed run already has only need counting).

    A packet that fails to decode, or a frame the decoder flags as corrupt, is skipped and counted in ``report``
    (``on_corrupt="skip"``) or stops the run with an error naming the file and the time (``"stop"``).
    """
    import av

    report = report if report is not None else DecodeReport()
    with _open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index, last_pts = 0, None
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:  # invalid data, a broken bitstream: what a damaged file gives
                _corrupt(info, packet.pts, on_corrupt, report, str(exc))
                continue
            for frame in frames:
                if frame.is_corrupt:
                    _corrupt(info, frame.pts, on_corrupt, report, "the decoder flagged the frame corrupt")
                    continue
                pts = frame.pts if frame.pts is not None else (last_pts + 1 if last_pts is not None else 0)
                if last_pts is not None and pts <= last_pts:  # a repeated timestamp: the muxer would refuse it
                    pts = last_pts + 1
                last_pts = pts
                if index >= start:
                    if stop is not None and index >= stop:
                        return
                    if frame.width * frame.height > MAX_FRAME_PIXELS:
                        raise UserError(f"{info.path}: a frame of {frame.width}x{frame.height} is larger than {MAX_FRAME_PIXELS:,} pixels")
                    pixels = _to_array(frame, info.bit_depth) if index >= convert_from else None
                    yield DecodedFrame(index=index, pts=pts, pixels=pixels)
                index += 1


def _corrupt(info: VideoInfo, pts: int | None, on_corrupt: OnCorrupt, report: DecodeReport, reason: str) -> None:
    where = f"at {float(pts * info.time_base):.3f} s" if pts is not None else "in a packet without a timestamp"
    if on_corrupt == "stop":
        raise UserError(f"{info.path}: corrupt video data {where} ({reason}); --on-corrupt skip goes on past it")
    report.corrupt += 1
