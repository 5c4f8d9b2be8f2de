"""``translate download``: the classic CycleGAN datasets from the reference's public location.

Downloads resume from a ``.partial`` file (HTTP Range) and count as complete only when the body reached its
Content-Length; network errors are retried (:mod:`common.weights.download`). The zip is checked before unpacking (CRCs, size and file-count
caps, no symlinks or escaping paths; see :mod:`common.weights.safe_unzip`), unpacking goes into a hidden temporary
folder that is renamed into place only when complete and verified, so an interrupted run never leaves a
half-unpacked dataset, and a bad archive is removed so the next run starts clean.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from common.core.console import log
from common.core.errors import UserError
from common.io.images import list_images
from common.weights.download import fetch_resumable
from common.weights.safe_unzip import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, remove_tree, safe_extract

BASE_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets"
DATASETS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo", "ukiyoe2photo",
    "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower", "ae_photos", "grumpifycat",
)


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
        fetch_resumable(f"{base_url}/{name}.zip", partial)
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
