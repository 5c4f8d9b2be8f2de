"""Choosing the encoder the installed PyAV wheel offers, and encoding arrays into packets with it.

Every segment of a video is encoded by its own, identically configured encoder; the final file's video stream is
opened with the same configuration, so its codec header (H.264's SPS/PPS) equals the one the segments' packets
were made with (checked when they are joined).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from common.core.console import log
from common.core.errors import UserError

# Container format of each output name; names not listed are asked of FFmpeg.
FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi", ".ts": "mpegts",
           ".m2ts": "mpegts", ".mts": "mpegts", ".flv": "flv", ".3gp": "3gp", ".ogv": "ogg", ".nut": "nut", ".mpg": "mpeg",
           ".mpeg": "mpeg", ".wmv": "asf"}
# Encoders in order of preference: widely playable H.264 first, then what else a wheel may bring.
PREFERRED_ENCODERS = ("libx264", "libopenh264", "libx265", "libvpx-vp9", "libsvtav1", "libaom-av1", "libvpx", "mpeg4")
DEFAULT_CRF = 18  # visually lossless for x264; the upscaled detail is the point of the output
GLOBAL_HEADER = 0x0040  # AVFMT_GLOBALHEADER: the container keeps the codec header out of the packets


def format_for(path: Path) -> str:
    """The FFmpeg container format an output called ``path`` is written in."""
    import av

    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    for name in sorted(av.formats_available):
        try:
            if suffix.lstrip(".") in av.format.ContainerFormat(name, "w").extensions:
                return name
        except ValueError:
            continue
    raise UserError(f"{path}: {suffix or 'no extension'} is no video container FFmpeg writes; name an .mp4, .mkv, .mov or .webm file")


def _encoder_exists(name: str) -> bool:
    import av

    try:
        return av.Codec(name, "w").type == "video"
    except (ValueError, av.error.FFmpegError):
        return False


def _container_holds(format_name: str, encoder: str) -> bool:
    import av

    with av.open("/dev/null", "w", format=format_name) as probe:  # nothing is written: the header is never started
        return av.Codec(encoder, "w").canonical_name in probe.supported_codecs


def choose_encoder(format_name: str, requested: str | None = None) -> str:
    """``requested`` (checked), else the first of :data:`PREFERRED_ENCODERS` this wheel has and the container holds.

    Raises:
        UserError: naming ``--codec`` or the container, with what is available instead.
    """
    if requested:
        if not _encoder_exists(requested):
            offered = ", ".join(e for e in PREFERRED_ENCODERS if _encoder_exists(e))
            raise UserError(f"--codec {requested}: no such video encoder in this PyAV build (it has {offered})")
        if not _container_holds(format_name, requested):
            raise UserError(f"--codec {requested}: a {format_name} file cannot hold it; choose another -o extension or codec")
        return requested
    for encoder in PREFERRED_ENCODERS:
        if _encoder_exists(encoder) and _container_holds(format_name, encoder):
            return encoder
    raise UserError(f"no video encoder of this PyAV build can write a {format_name} file; use .mkv or .mp4")


def encoder_options(encoder: str, crf: int) -> dict[str, str]:
    """The quality option of each encoder family at ``crf`` (x264's scale, 0-51, lower is better)."""
    if encoder in ("libx264", "libx265"):
        return {"crf": str(crf), "preset": "medium"}
    if encoder in ("libvpx-vp9", "libvpx", "libaom-av1"):
        return {"crf": str(min(63, round(crf * 63 / 51))), "b": "0"}
    if encoder == "libsvtav1":
        return {"crf": str(min(63, round(crf * 63 / 51)))}
    return {"qscale": str(max(1, min(31, round(crf / 51 * 30) + 1)))}  # mpeg4 and the like: constant quantiser


def choose_pix_fmt(encoder: str, requested: str | None, source_pix_fmt: str, bit_depth: int) -> str:
    """``requested`` (checked), else the source's format where the encoder takes it, else 4:2:0 at the source's depth."""
    import av

    offered = [f.name for f in (av.Codec(encoder, "w").video_formats or ())]
    if requested:
        if offered and requested not in offered:
            raise UserError(f"--pix-fmt {requested}: {encoder} takes {', '.join(offered)}")
        return requested
    for candidate in (source_pix_fmt.replace("yuvj", "yuv"), "yuv420p10le" if bit_depth > 8 else "yuv420p", "yuv420p"):
        if not offered or candidate in offered:
            return candidate
    return offered[0]


@dataclass(frozen=True)
class EncoderSettings:
    """Everything that decides the encoded packets; equal settings give an identical codec header."""

    encoder: str
    options: tuple[tuple[str, str], ...]
    pix_fmt: str
    width: int
    height: int
    time_base: Fraction
    rate: Fraction | None
    global_header: bool
    colorspace: int = 2  # FFmpeg's "unspecified"
    color_range: int = 0
    color_primaries: int = 2
    color_trc: int = 2

    def configure(self, context) -> None:
        """Set an (unopened) PyAV video codec context to these settings."""
        from av.codec.context import Flags

        context.width, context.height, context.pix_fmt = self.width, self.height, self.pix_fmt
        context.time_base = self.time_base
        if self.rate:
            context.framerate = self.rate
        context.options = dict(self.options)
        context.colorspace, context.color_range = self.colorspace, self.color_range
        context.color_primaries, context.color_trc = self.color_primaries, self.color_trc
        if self.global_header:
            context.flags |= Flags.global_header


def needs_even_sides(pix_fmt: str) -> bool:
    """Chroma-subsampled formats (4:2:0, 4:2:2) take only even frame sides."""
    return pix_fmt.startswith(("yuv420", "yuv422", "yuv411", "nv12", "nv21", "yuvj420", "yuvj422", "p010", "p016"))


def padded_to_even(pixels: np.ndarray, pix_fmt: str) -> np.ndarray:
    """An odd side gets one replicated edge row or column where :func:`needs_even_sides`."""
    if not needs_even_sides(pix_fmt):
        return pixels
    pad_h, pad_w = pixels.shape[0] % 2, pixels.shape[1] % 2
    return np.pad(pixels, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge") if pad_h or pad_w else pixels


class FrameEncoder:
    """Encodes (H, W, 3) uint8/uint16 RGB arrays with ``settings``; :meth:`encode` and :meth:`flush` return
    ``(pts, dts, is_keyframe, bytes)`` packets in the settings' time base."""

    def __init__(self, settings: EncoderSettings):
        import av

        self.settings = settings
        self.context = av.CodecContext.create(settings.encoder, "w")
        settings.configure(self.context)
        try:
            self.context.open()
        except av.error.FFmpegError as exc:
            raise UserError(f"--codec {settings.encoder}: the encoder refused {settings.width}x{settings.height} "
                            f"{settings.pix_fmt} ({exc.strerror or exc})") from None

    @property
    def extradata(self) -> bytes:
        return bytes(self.context.extradata or b"")

    def _frame(self, pixels: np.ndarray, pts: int):
        import av

        pixels = padded_to_even(pixels, self.settings.pix_fmt)
        rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb48le" if pixels.dtype == np.uint16 else "rgb24")
        s = self.settings
        frame = rgb.reformat(format=s.pix_fmt, dst_colorspace=s.colorspace if s.colorspace != 2 else None,
                             dst_color_range=s.color_range or None)
        frame.pts, frame.time_base = pts, s.time_base
        return frame

    def encode(self, pixels: np.ndarray, pts: int) -> list[tuple[int, int, bool, bytes]]:
        return [_packet_tuple(p) for p in self.context.encode(self._frame(pixels, pts))]

    def flush(self) -> list[tuple[int, int, bool, bytes]]:
        return [_packet_tuple(p) for p in self.context.encode(None)]


def _packet_tuple(packet) -> tuple[int, int, bool, bytes]:
    dts = packet.dts if packet.dts is not None else packet.pts
    return packet.pts, dts, bool(packet.is_keyframe), bytes(packet)


def describe_choice(encoder: str, pix_fmt: str, crf: int, requested: str | None) -> None:
    """One line saying what the output is encoded with (the wheel decides what is available)."""
    how = "as asked" if requested else "the best this PyAV build offers for the container"
    log(f"video encoder: {encoder} ({how}), {pix_fmt}, quality crf {crf}")
