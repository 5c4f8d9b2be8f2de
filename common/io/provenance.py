"""Which source and settings a result was made from, written into the result's Software tag, so that re-running
a batch skips the results already done (and only those) instead of failing on them.

The tag reads ``<tool marker> (source <sha256 of the input file, 16 hex>, settings <sha256 of the settings, 8 hex>)``;
a result made from another file, with other settings, or by someone else is never taken for done.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from common.io.images import read_software_marker


def file_digest(path: Path, length: int = 16) -> str:
    """The first ``length`` hex digits of the file's sha256 (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def provenance_marker(marker: str, source: Path, settings: str) -> str:
    """The Software tag of the result of ``source`` made with ``settings`` by the tool ``marker``."""
    settings_digest = hashlib.sha256(settings.encode()).hexdigest()[:8]
    return f"{marker} (source {file_digest(source)}, settings {settings_digest})"


def is_done(target: Path, expected_marker: str) -> bool:
    """``target`` is a finished result of this very source and settings (results are written whole or not at all,
    so an existing file with the right tag is complete)."""
    return target.is_file() and read_software_marker(target) == expected_marker
