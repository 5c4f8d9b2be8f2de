"""Unpacking a downloaded zip without trusting it: size and file-count caps, no symlinks, no paths that leave
the target, real bytes counted (the sizes a zip declares can lie)."""
from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from common.core.errors import UserError

DEFAULT_MAX_BYTES = 20 * 1024**3  # the largest CycleGAN dataset unpacks to well under 1 GB
DEFAULT_MAX_FILES = 200_000
MAX_COMPRESSION_RATIO = 100  # photos barely compress; a zip bomb compresses a thousandfold


def _member_path(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath:
    name = PurePosixPath(info.filename)
    if name.is_absolute() or ".." in name.parts or info.filename.startswith(("/", "\\")) or ":" in name.parts[0]:
        raise UserError(f"{archive}: refused: the entry {info.filename!r} would be written outside the dataset folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UserError(f"{archive}: refused: the entry {info.filename!r} is a symbolic link")
    return name


def check_archive(bundle: zipfile.ZipFile, archive: Path, max_bytes: int, max_files: int) -> None:
    """Refuse before unpacking: too many files, too many bytes, an implausible compression ratio, unsafe names.

    Raises:
        UserError: naming the archive and the limit (and the option that raises it).
    """
    members = bundle.infolist()
    if len(members) > max_files:
        raise UserError(f"{archive}: {len(members):,} entries is more than the limit of {max_files:,} (--max-files)")
    declared = sum(info.file_size for info in members)
    if declared > max_bytes:
        raise UserError(f"{archive}: unpacks to {declared / 1e9:.1f} GB, more than the limit of {max_bytes / 1e9:.1f} GB (--max-unpacked-gb)")
    if declared > MAX_COMPRESSION_RATIO * max(archive.stat().st_size, 1) and declared > 64 * 1024**2:
        raise UserError(f"{archive}: {archive.stat().st_size:,} bytes claim to unpack to {declared:,}: refused as a zip bomb")
    for info in members:
        _member_path(info, archive)


def safe_extract(bundle: zipfile.ZipFile, archive: Path, destination: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_files: int = DEFAULT_MAX_FILES) -> None:
    """Unpack ``bundle`` into ``destination`` (a fresh folder), counting the bytes really written.

    Raises:
        UserError: any check of :func:`check_archive`, or a member larger than it declared.
    """
    check_archive(bundle, archive, max_bytes, max_files)
    written = 0
    for info in bundle.infolist():
        target = destination.joinpath(*_member_path(info, archive).parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(info) as source, open(target, "wb") as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > max_bytes:
                    raise UserError(f"{archive}: unpacked more than the limit of {max_bytes / 1e9:.1f} GB (--max-unpacked-gb)")
                sink.write(chunk)


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
