"""``translate download``: the classic CycleGAN datasets from the reference's public location.

Downloads resume from a ``.partial`` file (HTTP Range) and count as complete only when the body reached its
Content-Length; network errors are retried. The zip is checked before unpacking (CRCs, size and file-count
caps, no symlinks or escaping paths; see :mod:`common.weights.safe_unzip`), unpacking goes into a hidden temporary
folder that is renamed into place only when complete and verified, so an interrupted run never leaves a
half-unpacked dataset, and a bad archive is removed so the next run starts clean.
"""
from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from common.core.console import log, make_progress
from common.core.errors import UserError
from common.io.images import list_images
from common.weights.safe_unzip import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, remove_tree, safe_extract

BASE_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets"
DATASETS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo", "ukiyoe2photo",
    "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower", "ae_photos", "grumpifycat",
)


RETRIES = 3


def _fetch(url: str, partial: Path, chunk: int = 1 << 20) -> None:
    """Download ``url`` into ``partial``, resuming it, retrying network errors; returns only when complete.

    Raises:
        UserError: HTTP error, network failure after retries, or a body shorter than its Content-Length (the
            partial file is kept, so running again resumes).
    """
    for attempt in range(1, RETRIES + 1):
        try:
            if _fetch_once(url, partial, chunk):
                return
            reason = "the connection closed before the end of the file"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if attempt < RETRIES:
            log(f"[yellow]{url}: {reason}; retrying ({attempt}/{RETRIES - 1})[/]")
            time.sleep(min(2**attempt, 10) * RETRY_DELAY_SCALE)
    have = partial.stat().st_size if partial.exists() else 0
    raise UserError(f"{url}: download failed ({reason}) after {RETRIES} tries, {have:,} bytes kept; run the command again to resume")


RETRY_DELAY_SCALE = 1.0  # tests shorten the back-off


def _fetch_once(url: str, partial: Path, chunk: int) -> bool:
    """One request; True when ``partial`` now holds the whole file."""
    offset = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:  # the range starts at the end: already complete
            return True
        raise UserError(f"{url}: download failed (HTTP {exc.code})") from None
    with response:
        resumed = response.status == 206
        total = response.length + (offset if resumed else 0) if response.length is not None else None
        received = offset if resumed else 0
        with open(partial, "ab" if resumed else "wb") as handle, make_progress(transient=True) as progress:
            task = progress.add_task(f"download {Path(url).name}", total=total, completed=received, info="")
            while data := response.read(chunk):
                handle.write(data)
                received += len(data)
                progress.advance(task, len(data))
    return total is None or received >= total


def download_dataset(name: str, root: str | Path, base_url: str = BASE_URL, max_bytes: int = DEFAULT_MAX_BYTES,
                     max_files: int = DEFAULT_MAX_FILES) -> Path:
    """Fetch, verify and unpack ``name`` into ``root/name`` (with trainA/trainB/testA/testB); returns that folder.

    Args:
        max_bytes / max_files: caps on what the archive may unpack to (zip-bomb guard).

    Raises:
        UserError: unknown name, network failure (resumable), corrupt or unsafe zip (removed, so the next run
            starts clean), or unexpected content.
    """
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    root = Path(root)
    target = root / name
    if target.is_dir():
        log(f"{target} already present")
        return target
    root.mkdir(parents=True, exist_ok=True)
    archive, partial = root / f"{name}.zip", root / f"{name}.zip.partial"
    if not archive.exists():
        _fetch(f"{base_url}/{name}.zip", partial)
        partial.rename(archive)
    staging = root / f".{name}.unpacking"
    remove_tree(staging)
    try:
        with zipfile.ZipFile(archive) as bundle:
            broken = bundle.testzip()
            if broken:
                raise zipfile.BadZipFile(f"CRC error in {broken}")
            safe_extract(bundle, archive, staging, max_bytes, max_files)
        content = staging / name if (staging / name).is_dir() else staging
        missing = [split for split in ("trainA", "trainB") if not (content / split).is_dir() or not list_images([content / split])]
        if missing:
            raise UserError(f"{archive}: unexpected content (no images in {', '.join(missing)}); removed it")
    except (zipfile.BadZipFile, EOFError) as exc:
        remove_tree(staging)
        archive.unlink(missing_ok=True)
        raise UserError(f"{archive}: corrupt download ({exc}); removed it, run the command again") from None
    except UserError:
        remove_tree(staging)
        archive.unlink(missing_ok=True)
        raise
    content.rename(target)
    remove_tree(staging)
    archive.unlink()
    log(f"{target}: " + ", ".join(f"{split} {len(list_images([target / split]))}" for split in ("trainA", "trainB", "testA", "testB") if (target / split).is_dir()))
    return target
