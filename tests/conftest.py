"""Shared fixtures: device list (CPU always, CUDA when present) and the optional shared/ data folder."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# What the library caches (downloads, prepared CPU graphs) goes to one folder per test session, never the user's.
os.environ["GANSUITE_CACHE_DIR"] = tempfile.mkdtemp(prefix="gansuite-test-cache-")
atexit.register(shutil.rmtree, os.environ["GANSUITE_CACHE_DIR"], True)


def _devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=_devices())
def device(request) -> torch.device:
    return torch.device(request.param)


def shared_folder(*parts: str) -> Path:
    """A folder under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"real-pixel test: {path} is absent (the shared/ data folder is not beside this checkout)")
    return path


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
