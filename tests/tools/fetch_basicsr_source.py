"""Fetch BasicSR 1.4.2's source (the reference of the NIQE parity test) from PyPI into .data/, checked by sha256.

    python tests/tools/fetch_basicsr_source.py

pip cannot download this sdist without building it (its build needs torch), so the file is fetched directly.
"""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

SHA256 = "b89b595a87ef964cda9913b4d99380ddb6554c965577c0c10cb7b78e31301e87"
TARGET = Path(__file__).resolve().parents[2] / ".data"


def main() -> None:
    with urllib.request.urlopen("https://pypi.org/simple/basicsr/", timeout=60) as response:
        index = response.read().decode()
    match = re.search(r'href="([^"]*basicsr-1\.4\.2\.tar\.gz[^"]*)"', index)
    if not match:
        raise SystemExit("basicsr-1.4.2.tar.gz is not in PyPI's simple index")
    url = urllib.parse.urljoin("https://pypi.org/simple/basicsr/", match.group(1).replace("&amp;", "&"))
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{url}: sha256 {digest} is not the expected {SHA256}")
    TARGET.mkdir(exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("basicsr-1.4.2/basicsr/metrics/") and m.isfile()]
        archive.extractall(TARGET, members=members, filter="data")
    print(f"BasicSR source in {TARGET / 'basicsr-1.4.2'}")


if __name__ == "__main__":
    main()
