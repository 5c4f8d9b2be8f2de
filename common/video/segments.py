"""Resumable encoding: the output's video is encoded in segments of a fixed number of frames, each kept as a
packet file in a work folder beside the output, with a journal of the finished ones.

A segment file is published (renamed into place) only once whole, and the journal is rewritten atomically after
it, so after Ctrl-C, a kill or a power cut the journal names only complete segments. Segment boundaries depend
on frame numbers alone, so a resumed run produces the same packets as one run straight through.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from common.core.console import log
from common.core.files import publish_temp_file, write_bytes_atomic

MAGIC = b"gansuite-video-segment 1\n"
PACKET_HEADER = struct.Struct("<qqBI")  # pts, dts, keyframe flag, size
MAX_PACKET_BYTES = 1 << 30  # checked before a packet is read
JOURNAL = "journal.json"
Packet = tuple[int, int, bool, bytes]


def work_folder(target: Path) -> Path:
    """Where the segments of ``target`` are kept until it is complete (hidden, beside it)."""
    return target.parent / f".{target.name}.gansuite-video"


class SegmentWriter:
    """Writes one segment's packets to a temporary file; :meth:`publish` moves it into place when whole."""

    def __init__(self, path: Path):
        self.path = path
        handle, self.tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        self.file = os.fdopen(handle, "wb")
        self.file.write(MAGIC)

    def write(self, packets: list[Packet]) -> None:
        for pts, dts, key, data in packets:
            self.file.write(PACKET_HEADER.pack(pts, dts, int(key), len(data)))
            self.file.write(data)

    def publish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        publish_temp_file(self.tmp_name, self.path)

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if os.path.exists(self.tmp_name):
            os.unlink(self.tmp_name)


def read_segment(path: Path) -> Iterator[Packet]:
    """The packets of a published segment file, in the order they were encoded."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path}: not a gansuite video segment")
        while handle.tell() < size:
            pts, dts, key, length = PACKET_HEADER.unpack(handle.read(PACKET_HEADER.size))
            if length > MAX_PACKET_BYTES or handle.tell() + length > size:
                raise ValueError(f"{path}: a packet of {length} bytes runs past the end of the file")
            yield pts, dts, bool(key), handle.read(length)


@dataclass
class Journal:
    """The finished segments of one output, and what they were made from.

    Attributes:
        fingerprint: digest of the source file's identity and every setting that decides the packets; a journal
            with another fingerprint belongs to other work and is discarded.
        segments: file names of the finished segments, in order; frames: frames they hold in all;
        extradata: sha256 of the encoder's codec header, which the final file's must equal.
    """

    folder: Path
    fingerprint: str
    segments: list[str] = field(default_factory=list)
    frames: int = 0
    extradata: str = ""
    size: tuple[int, int] | None = None  # (width, height) of the encoded frames, fixed by the first segment

    @classmethod
    def open(cls, folder: Path, fingerprint: str) -> "Journal":
        """The journal in ``folder`` if it holds work for ``fingerprint``; otherwise a fresh one (the folder is
        emptied: segments made with other settings would join into a wrong video)."""
        path = folder / JOURNAL
        if path.is_file():
            try:
                state = json.loads(path.read_text())
                if state.get("fingerprint") == fingerprint and all((folder / name).is_file() for name in state["segments"]):
                    return cls(folder, fingerprint, list(state["segments"]), int(state["frames"]), state.get("extradata", ""),
                               tuple(state["size"]) if state.get("size") else None)
                log(f"{folder}: earlier partial work was made from another source or with other settings; starting over")
            except (ValueError, KeyError, TypeError):
                log(f"{folder}: unreadable journal of an earlier run; starting over")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        journal = cls(folder, fingerprint)
        journal.save()
        return journal

    def save(self) -> None:
        state = {"fingerprint": self.fingerprint, "segments": self.segments, "frames": self.frames, "extradata": self.extradata,
                 "size": list(self.size) if self.size else None}
        write_bytes_atomic(self.folder / JOURNAL, json.dumps(state, indent=1).encode())

    def add(self, name: str, frames: int, extradata: bytes, size: tuple[int, int]) -> None:
        self.segments.append(name)
        self.frames += frames
        self.extradata = hashlib.sha256(extradata).hexdigest()
        self.size = size
        self.save()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def fingerprint(source: Path, settings: str) -> str:
    """Identity of the source (size, modification time, and a digest of its first and last MiB) and settings."""
    stat = source.stat()
    digest = hashlib.sha256(f"{stat.st_size} {stat.st_mtime_ns} {settings}".encode())
    with open(source, "rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, stat.st_size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:32]
