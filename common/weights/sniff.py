"""What a model file is, read from its first bytes, never from its name (torch-free, for the fast ONNX path).

- ``torch``: a ``torch.save`` zip archive (``PK\\x03\\x04``) or a legacy pickle (protocol 2+, first byte 0x80);
- ``safetensors``: an 8-byte little-endian header length, then a JSON header starting with ``{``;
- ``None``: neither (or unreadable): the caller says what it expected.
"""
from __future__ import annotations

import os
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"  # torch.save since 1.6
PICKLE_PROTOCOL = 0x80  # the first byte of a pickle of protocol 2+ (torch's legacy format starts with one)


def model_file_format(path: str | os.PathLike) -> str | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
    except OSError:
        return None
    if head.startswith(ZIP_MAGIC) or (head and head[0] == PICKLE_PROTOCOL):
        return "torch"
    if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < (1 << 32):
        return "safetensors"
    return None
