"""Downloads that resume and verify: a ``.partial`` file grown with HTTP Range requests (network errors retried),
complete only when the body reached its Content-Length, and for pinned files published under the final name only
after its size and sha256 match. A mismatch removes the partial file; a cut connection or a full disk keeps it
(under its ``.partial`` name, never the final one) so the next run resumes."""
from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from common.core.console import log, make_progress
from common.core.errors import UserError

RETRIES = 3
RETRY_DELAY_SCALE = 1.0  # tests shorten the back-off
CHUNK = 1 << 20


def fetch_resumable(url: str, partial: Path, max_bytes: int | None = None) -> None:
    """Download ``url`` into ``partial``, resuming it, retrying network errors; returns only when complete.

    Raises:
        UserError: HTTP error, network failure after retries, a body shorter than its Content-Length (the partial
            file is kept, so running again resumes), or more than ``max_bytes`` (the partial file is removed).
    """
    for attempt in range(1, RETRIES + 1):
        try:
            if _fetch_once(url, partial, max_bytes):
                return
            reason = "the connection closed before the end of the file"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if attempt < RETRIES:
            log(f"[yellow]{url}: {reason}; retrying ({attempt}/{RETRIES - 1})[/]")
            time.sleep(min(2**attempt, 10) * RETRY_DELAY_SCALE)
    have = partial.stat().st_size if partial.exists() else 0
    raise UserError(f"{url}: download failed ({reason}) after {RETRIES} tries, {have:,} bytes kept; run the command again to resume")


def _fetch_once(url: str, partial: Path, max_bytes: int | None) -> bool:
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
        if max_bytes is not None and total is not None and total > max_bytes:
            partial.unlink(missing_ok=True)
            raise UserError(f"{url}: the server offers {total:,} bytes, more than the {max_bytes:,} expected; nothing kept")
        received = offset if resumed else 0
        with open(partial, "ab" if resumed else "wb") as handle, make_progress(transient=True) as progress:
            task = progress.add_task(f"download {Path(url).name}", total=total, completed=received, info="")
            while data := response.read(CHUNK):
                received += len(data)
                if max_bytes is not None and received > max_bytes:
                    handle.close()
                    partial.unlink(missing_ok=True)
                    raise UserError(f"{url}: more than the {max_bytes:,} bytes expected arrived; nothing kept")
                handle.write(data)
                progress.advance(task, len(data))
    return total is None or received >= total


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def download_verified(url: str, target: Path, sha256: str, size: int) -> Path:
    """``target`` holding exactly the pinned file: downloaded (resuming ``target.partial``) when absent, published
    only after its size and sha256 match.

    Raises:
        UserError: a network failure (the partial file is kept for a resume), or a file that is not the pinned
            one (removed, with both digests named).
    """
    if target.is_file() and target.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    fetch_resumable(url, partial, max_bytes=size)
    got_size = partial.stat().st_size
    got = sha256_of(partial) if got_size == size else None
    if got != sha256:
        partial.unlink(missing_ok=True)
        what = f"sha256 {got}" if got else f"{got_size:,} bytes"
        expected = f"sha256 {sha256}" if got else f"{size:,}"
        raise UserError(f"{url}: the download is not the pinned file ({what}, expected {expected}); removed it")
    os.replace(partial, target)
    return target
