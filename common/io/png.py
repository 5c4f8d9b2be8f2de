"""PNG details the general image writer needs: header fields, text chunks, the 16-bit grey + alpha encoder that
neither PIL nor OpenCV has, and a large-image encoder without a full-size copy."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from common.core.errors import UserError


def png_bit_depth(path: Path) -> int | None:
    header = png_header(path)
    return header[24] if header else None


def png_header(path: Path) -> bytes | None:
    with open(path, "rb") as handle:
        header = handle.read(26)
    return header if header[:8] == b"\x89PNG\r\n\x1a\n" and len(header) >= 26 else None


PNG_GREY_ALPHA = 4  # IHDR colour type


def png_text_chunk(key: str, value: str) -> bytes:
    return png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1", "replace"))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def metadata_chunks(marker: str | None, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """The chunks that go right after IHDR: Software (tEXt), the ICC profile (iCCP) and EXIF (eXIf)."""
    chunks = png_text_chunk("Software", marker) if marker else b""
    if icc_profile:
        chunks += png_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile))
    if exif:
        chunks += png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif)  # eXIf holds the bare TIFF structure
    return chunks


def encode_png16_grey_alpha(pixels: np.ndarray, chunks: bytes = b"") -> bytes:
    """16-bit grey + alpha PNG (colour type 4), which neither PIL nor OpenCV writes; ``chunks`` from
    :func:`metadata_chunks`."""
    height, width, _ = pixels.shape
    rows = np.zeros((height, 1 + width * 4), dtype=np.uint8)  # filter byte 0, then big-endian samples
    rows[:, 1:] = pixels.astype(">u2").view(np.uint8).reshape(height, width * 4)
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, PNG_GREY_ALPHA, 0, 0, 0))
    data = png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + header + chunks + data


def write_png_buffer(handle, buffer: np.ndarray, chunks: bytes = b"") -> None:
    """Write an encoded PNG with ``chunks`` (:func:`metadata_chunks`) after the 33-byte signature + IHDR."""
    view = memoryview(buffer)
    if chunks:
        handle.write(view[:33])
        handle.write(chunks)
        view = view[33:]
    handle.write(view)


LARGE_IMAGE_PIXELS = 16_000_000


def _swap_red_blue_in_place(pixels: np.ndarray, rows: int = 256) -> None:
    for top in range(0, pixels.shape[0], rows):
        band = pixels[top : top + rows]
        band[..., [0, 2]] = band[..., [2, 0]]


def encode_large_png(handle, pixels: np.ndarray, chunks: bytes = b"") -> None:
    """Encode a big 8-bit RGB(A) PNG without a full-size copy.

    PIL stores RGB as 4 bytes a pixel (a 192 MP output would cost 770 MB more) and OpenCV wants BGR; swapping
    the channels in place, band by band, and back afterwards keeps the peak at the image plus the compressed file.
    """
    import cv2

    _swap_red_blue_in_place(pixels)
    try:
        ok, buffer = cv2.imencode(".png", pixels)
    finally:
        _swap_red_blue_in_place(pixels)
    if not ok:
        raise UserError("OpenCV could not encode the PNG")
    write_png_buffer(handle, buffer, chunks)
