"""Short test clips made with PyAV itself: a moving pattern, optionally with a sine-tone audio track, a variable
frame rate, an odd size, a display rotation or a codec of choice."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def pattern(index: int, height: int, width: int) -> np.ndarray:
    """A frame of a diagonal ramp moving two pixels a frame, with a bright block, so motion and colour both show."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.stack([(x * 4 + index * 8) % 256, (y * 4) % 256, ((x + y) * 2 + index * 16) % 256], axis=2).astype(np.uint8)
    frame[2:6, (index * 2) % max(1, width - 4):(index * 2) % max(1, width - 4) + 4] = 255
    return frame


def make_clip(path: Path, frames: int = 20, size: tuple[int, int] = (32, 24), rate: int = 25, vfr: bool = False,
              audio: bool = True, rotation: int = 0, codec: str = "libx264", pix_fmt: str = "yuv420p", subtitles: bool = False) -> Path:
    """Write a clip; with ``vfr`` every third frame lasts twice as long (timestamps in ms); ``subtitles`` adds a
    SubRip stream of one line every 100 ms (muxed as packets: PyAV has no SubRip encoder)."""
    import av

    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        time_base = Fraction(1, 1000) if vfr else Fraction(1, rate)
        video.time_base = video.codec_context.time_base = time_base
        if rotation:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=48000) if audio else None
        if subtitles:
            lines = out.add_mux_stream("subrip")
            lines.time_base = Fraction(1, 1000)
            for index in range(3):
                packet = av.Packet(f"line {index}".encode())
                packet.pts = packet.dts = index * 100
                packet.duration, packet.time_base, packet.stream = 80, Fraction(1, 1000), lines
                out.mux(packet)
        pts = 0
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern(index, height, width), format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            pts += (80 if index % 3 == 2 else 40) if vfr else 1
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            seconds = frames / rate * (1.4 if vfr else 1)
            for block in range(int(48000 * seconds / 1024) + 1):
                t = (np.arange(1024) + block * 1024) / 48000
                tone = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], format="fltp", layout="mono")
                tone.sample_rate, tone.pts = 48000, block * 1024
                for packet in sound.encode(tone):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def frame_times(path: Path) -> list[Fraction]:
    """Presentation time of every video frame, in seconds (exact fractions)."""
    import av

    with av.open(str(path)) as container:
        return [frame.pts * frame.time_base for frame in container.decode(video=0)]


def audio_packets(path: Path, kind: str = "audio") -> list[tuple[Fraction, bytes]]:
    """(time, bytes) of each packet of the first ``kind`` stream (``audio`` or ``subtitles``)."""
    import av

    with av.open(str(path)) as container:
        return [(packet.pts * packet.time_base, bytes(packet)) for packet in container.demux(**{kind: 0}) if packet.size]


def decoded_rgb(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
