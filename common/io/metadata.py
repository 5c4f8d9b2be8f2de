"""What a photo carries besides its pixels: the ICC colour profile (Display P3, Adobe RGB: without it colours shift
in every colour-managed viewer) and EXIF (camera, date, GPS: the user's business). Results keep both, with the
orientation already applied to the pixels and its tag reset to 1, unless ``--strip-metadata``."""
from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

EXIF_ORIENTATION = 0x0112
EXIF_SOFTWARE = 0x0131
# What a result keeps of its source's EXIF: the descriptive tags of IFD0 (image description, make, model, date,
# artist, copyright) and the Exif and GPS sub-IFDs. TIFF files list their structure (sizes, strip offsets) among
# the same tags; copying those would break the result.
KEPT_IFD0_TAGS = (0x010E, 0x010F, 0x0110, 0x0132, 0x013B, 0x8298)
KEPT_SUB_IFDS = (0x8769, 0x8825)


@dataclass(frozen=True)
class ImageMetadata:
    """``icc_profile``: the raw ICC profile; ``exif``: EXIF as a result should carry it (orientation 1)."""

    icc_profile: bytes | None = None
    exif: bytes | None = None


def read_metadata(path: str | os.PathLike) -> ImageMetadata:
    """The ICC profile and EXIF of an image file (header only; None where absent or unreadable)."""
    try:
        with Image.open(path) as image:
            icc = image.info.get("icc_profile") or None
            exif_bytes = _kept_exif(image.getexif())
    except Exception:  # metadata we cannot read is metadata we do not copy; the pixels report their own problems
        return ImageMetadata()
    return ImageMetadata(icc if isinstance(icc, bytes) else None, exif_bytes)


def _kept_exif(source: Image.Exif) -> bytes | None:
    """The source's descriptive EXIF for a result; no orientation (read_image turned the pixels upright, so the
    result is upright: tag 1, the default) and no Software (the result's says what made it)."""
    kept = Image.Exif()
    for tag in KEPT_IFD0_TAGS:
        if tag in source:
            kept[tag] = source[tag]
    for ifd in KEPT_SUB_IFDS:
        entries = source.get_ifd(ifd)
        if entries:
            kept[ifd] = dict(entries)
    return kept.tobytes() if len(kept) else None


def exif_with_software(metadata: ImageMetadata | None, marker: str | None) -> bytes | None:
    """EXIF bytes for a result: the source's EXIF (if any) with ``marker`` as its Software tag."""
    if not marker and not (metadata and metadata.exif):
        return None
    exif = Image.Exif()
    if metadata and metadata.exif:
        exif.load(metadata.exif)
    if marker:
        exif[EXIF_SOFTWARE] = marker
    return exif.tobytes()
