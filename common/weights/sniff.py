"""What a model file is, read from its first bytes, never from its name (torch-free, for the fast ONNX path).

- ``torch``: a ``torch.save`` zip archive (``PK\\x03\\x04``) or a legacy pickle (protocol 2+, first byte 0x80);
- ``safetensors``: an 8-byte little-endian header length, then a JSON header starting with ``{``;
- ``None``: neither (or unreadable): the caller says what it expected.
"""
from __future__ import annotations

import json
import os

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
    length = int.from_bytes(head[:8], "little") if len(head) == 9 else 0
    if head[8:9] == b"{" and length <= MAX_HEADER_BYTES:
        return "gansuite" if "gansuite" in _safetensors_metadata(path, length) else "safetensors"
    return None


MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit: a header claiming more is not read


def _safetensors_metadata(path: str | os.PathLike, length: int) -> dict:
    try:
        with open(path, "rb") as handle:
            handle.seek(8)
            header = json.loads(handle.read(length))
    except (OSError, ValueError):
        return {}
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return metadata if isinstance(metadata, dict) else {}
