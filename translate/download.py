"""``translate download``: the classic CycleGAN datasets from the reference's public location.

Downloads resume from a ``.partial`` file (HTTP Range), the zip is checked before unpacking, unpacking goes
into a hidden temporary folder that is renamed into place only when complete and verified, so an interrupted
run never leaves a half-unpacked dataset.
"""
from __future__ import annotations

import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from common.console import log, make_progress
from common.errors import UserError
from common.imageio import list_images

BASE_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets"
DATASETS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo", "ukiyoe2photo",
    "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower", "ae_photos", "grumpifycat",
)


def _fetch(url: str, partial: Path, chunk: int = 1 << 20) -> None:
    offset = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:  # already complete
            return
        raise UserError(f"{url}: download failed (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"{url}: download failed ({getattr(exc, 'reason', exc)}); run the command again to resume") from None
    with response:
        resumed = response.status == 206
        total = response.length + (offset if resumed else 0) if response.length else None
        mode = "ab" if resumed else "wb"
        with open(partial, mode) as handle, make_progress(transient=True) as progress:
            task = progress.add_task(f"download {Path(url).name}", total=total, completed=offset if resumed else 0, info="")
            while True:
                data = response.read(chunk)
                if not data:
                    break
                handle.write(data)
                progress.advance(task, len(data))


def download_dataset(name: str, root: str | Path, base_url: str = BASE_URL) -> Path:
    """Fetch, verify and unpack ``name`` into ``root/name`` (with trainA/trainB/testA/testB); returns that folder.

    Raises:
        UserError: unknown name, network failure (resumable), corrupt zip, or unexpected content.
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
    try:
        with zipfile.ZipFile(archive) as bundle:
            broken = bundle.testzip()
            if broken:
                raise zipfile.BadZipFile(f"CRC error in {broken}")
            staging = root / f".{name}.unpacking"
            shutil.rmtree(staging, ignore_errors=True)
            bundle.extractall(staging)
    except zipfile.BadZipFile as exc:
        archive.unlink()
        raise UserError(f"{archive}: corrupt download ({exc}); removed it, run the command again") from None
    content = staging / name if (staging / name).is_dir() else staging
    missing = [split for split in ("trainA", "trainB") if not (content / split).is_dir() or not list_images([content / split])]
    if missing:
        shutil.rmtree(staging)
        raise UserError(f"{archive}: unexpected content (no images in {', '.join(missing)})")
    content.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()
    log(f"{target}: " + ", ".join(f"{split} {len(list_images([target / split]))}" for split in ("trainA", "trainB", "testA", "testB") if (target / split).is_dir()))
    return target
