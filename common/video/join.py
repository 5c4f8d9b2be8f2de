"""The final file: the segments' video packets joined into one stream, with the source's audio, subtitle and data
streams copied packet for packet (never re-encoded), interleaved by time, written under a temporary name."""
from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from common.core.console import log
from common.core.errors import UserError
from common.video.encode import EncoderSettings
from common.video.segments import read_segment
from common.video.source import VideoInfo


@dataclass(frozen=True)
class Window:
    """The part of the source's timeline that is kept, in seconds ([start, stop)); ``shift`` is subtracted from
    every timestamp (the start of a ``--frames`` range, so a preview begins at 0)."""

    start: Fraction | None = None
    stop: Fraction | None = None
    shift: Fraction = Fraction(0)

    def keeps(self, time: Fraction) -> bool:
        return (self.start is None or time >= self.start) and (self.stop is None or time < self.stop)


def copyable_streams(info: VideoInfo, output) -> tuple[list[int], list[str]]:
    """Indices of the source's streams the output container can hold, and a description of each one it cannot."""
    kept, dropped = [], []
    for index, kind, codec in info.others:
        if kind == "video":
            dropped.append(f"#{index} ({kind} {codec}: only the first video stream is processed)")
        elif kind in ("audio", "subtitle", "data", "attachment") and codec in output.supported_codecs:
            kept.append(index)
        else:
            dropped.append(f"#{index} ({kind} {codec})")
    return kept, dropped


def _video_packets(segments: list[Path], stream, settings: EncoderSettings, shift: int) -> Iterator[tuple[Fraction, int, object]]:
    import av

    last_dts = None
    for path in segments:
        for pts, dts, key, data in read_segment(path):
            pts, dts = pts - shift, dts - shift
            if last_dts is not None and dts <= last_dts:  # segments meet where B-frame delays overlap
                dts = last_dts + 1
            dts = min(dts, pts)
            last_dts = dts
            packet = av.Packet(data)
            packet.pts, packet.dts, packet.time_base, packet.is_keyframe = pts, dts, settings.time_base, key
            packet.stream = stream
            yield dts * settings.time_base, 0, packet


def _copied_packets(source, mapping: dict, window: Window) -> Iterator[tuple[Fraction, int, object]]:
    if not mapping:
        return
    last: dict[int, Fraction] = {}
    for packet in source.demux([source.streams[i] for i in mapping]):
        if packet.size == 0:
            continue
        index = packet.stream.index
        stamp = packet.pts if packet.pts is not None else packet.dts
        time = stamp * packet.time_base if stamp is not None else last.get(index, Fraction(0))
        if not window.keeps(time):
            continue
        if window.shift:
            offset = round(window.shift / packet.time_base)
            packet.pts = packet.pts - offset if packet.pts is not None else None
            packet.dts = packet.dts - offset if packet.dts is not None else None
        order = packet.dts if packet.dts is not None else packet.pts
        key = order * packet.time_base if order is not None else last.get(index, Fraction(0))
        last[index] = key
        packet.stream = mapping[index]
        yield key, 1 + index, packet


def join_segments(tmp_name: str, format_name: str, segments: list[Path], settings: EncoderSettings, extradata_sha: str,
                  info: VideoInfo, window: Window, marker: str) -> list[str]:
    """Write the finished video to ``tmp_name``; returns the source streams that were dropped (already said)."""
    import av

    with av.open(tmp_name, "w", format=format_name) as output, av.open(str(info.path)) as source:
        video = output.add_stream(settings.encoder, rate=settings.rate)
        settings.configure(video.codec_context)
        video.time_base = settings.time_base
        if info.rotation:
            video.set_display_rotation(info.rotation)
        output.metadata["comment"] = marker
        kept, dropped = copyable_streams(info, output)
        mapping = {index: output.add_stream_from_template(source.streams[index]) for index in kept}
        video.codec_context.open()
        if hashlib.sha256(bytes(video.codec_context.extradata or b"")).hexdigest() != extradata_sha:
            raise UserError(f"{info.path}: the encoder's header differs from the one the segments were made with "
                            "(was PyAV upgraded mid-run?); run again with --overwrite to start over")
        if dropped:
            log(f"warning: a {format_name} file cannot hold stream(s) {', '.join(dropped)} of {info.path.name}: dropped"
                " (an .mkv output keeps them)")
        shift = round(window.shift / settings.time_base)
        streams = (_video_packets(segments, video, settings, shift), _copied_packets(source, mapping, window))
        for _, _, packet in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            output.mux(packet)
    return dropped
