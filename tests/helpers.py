"""Small generated data for tests that must run without shared/."""
from __future__ import annotations

import signal
from pathlib import Path
from typing import Callable

import numpy as np

from common.io.images import write_image


def make_image_folder(folder: Path, count: int = 6, size: tuple[int, int] = (48, 40), seed: int = 0) -> Path:
    """Smooth random RGB images (gradients + blobs) so SR has something to learn."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    for index in range(count):
        channels = []
        for _ in range(3):
            a, b, c, d = rng.uniform(-1, 1, 4)
            channels.append(0.5 + 0.25 * np.sin(6 * a * xx + 5 * b * yy + c) + 0.2 * np.cos(9 * d * xx * yy))
        pixels = (np.clip(np.stack(channels, axis=2), 0, 1) * 255).round().astype(np.uint8)
        write_image(folder / f"img{index:02d}.png", pixels)
    return folder


def train_interrupted_then_resumed(monkeypatch, step_class: type, stop_after: int, train: Callable[[bool], object]) -> None:
    """``train(False)`` with SIGINT raised right after step ``stop_after`` of ``step_class.run`` (the loop saves a
    checkpoint and raises TrainingInterrupted), then ``train(True)`` with the step unpatched (the resume)."""
    import pytest

    from common.train.loop import TrainingInterrupted

    original = step_class.run

    def interrupting(self, batch, index, autocast):
        logs = original(self, batch, index, autocast)
        if index + 1 == stop_after:
            signal.raise_signal(signal.SIGINT)
        return logs

    monkeypatch.setattr(step_class, "run", interrupting)
    with pytest.raises(TrainingInterrupted):
        train(False)
    monkeypatch.setattr(step_class, "run", original)
    train(True)


def assert_resumed_run_equals_straight(monkeypatch, step_class: type, stop_after: int, train: Callable[[Path, bool], object],
                                       root: Path, kind: str) -> None:
    """``train(root/"straight", False)``, then the same run interrupted after step ``stop_after`` and resumed in
    ``root/"resumed"``; the two exported models must be equal bit for bit."""
    import torch

    from common.weights.model_files import load_weights

    train(root / "straight", False)
    train_interrupted_then_resumed(monkeypatch, step_class, stop_after, lambda resume: train(root / "resumed", resume))
    a, _ = load_weights(root / "straight" / "model.safetensors", kind)
    b, _ = load_weights(root / "resumed" / "model.safetensors", kind)
    assert all(torch.equal(a[k], b[k]) for k in a)


def forge_metadata(proto, **values: str) -> None:
    """Set flat metadata keys of an ONNX ``proto`` and rewrite its ``gansuite_json`` document to match (what a
    forger who knows the format does), so the checks behind the document's are reached."""
    import onnx

    from export.model_document import DOCUMENT_KEY, document_text

    meta = {**{p.key: p.value for p in proto.metadata_props if p.key != DOCUMENT_KEY}, **values}
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {**meta, DOCUMENT_KEY: document_text(meta)})


def js_package_copy_is_current(example: Path) -> bool:
    """An example installs a copy of js/ (``install-links``): False when that copy is missing or older than js/src."""
    source = Path(__file__).resolve().parents[1] / "js" / "src"
    copy = example / "node_modules" / "gansuite-onnx" / "src"
    return copy.is_dir() and all((copy / f.name).is_file() and (copy / f.name).read_bytes() == f.read_bytes() for f in source.glob("*.js"))
