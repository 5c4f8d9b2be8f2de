"""The pytorch-fid protocol: our FID Inception against pytorch-fid itself, on real photos (cat2dog)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from common.core.errors import UserError
from common.metrics.fid_inception import PYTORCH_FID_FILENAME, FIDInception, load_fid_inception
from tests.conftest import shared_folder


def test_the_network_has_the_papers_size():
    assert sum(p.numel() for p in FIDInception().parameters()) == 21_785_568  # every weight of pytorch-fid's file but fc


def test_absent_weights_are_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="FID Inception weights of pytorch-fid are not found"):
        load_fid_inception(tmp_path / PYTORCH_FID_FILENAME)


def real_batch(count: int = 6) -> torch.Tensor:
    from PIL import Image

    folder = shared_folder("translate", "cat2dog", "testA")
    images = [np.asarray(Image.open(path).convert("RGB").resize((128, 128))) for path in sorted(folder.glob("*.jpg"))[:count]]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


def test_features_equal_pytorch_fids_own(tmp_path, monkeypatch):
    pytorch_fid = pytest.importorskip("pytorch_fid.inception", reason="pytorch-fid is the reference (pip install pytorch-fid)")
    weights = shared_folder("weights") / "pt_inception_fid_nofc.pth"
    batch = real_batch()
    # pytorch-fid loads its file strictly from the hub cache, fc included: give it a copy with a zero fc (unused by pool3).
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state.update({"fc.weight": torch.zeros(1008, 2048), "fc.bias": torch.zeros(1008)})
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(state, tmp_path / "hub" / "checkpoints" / PYTORCH_FID_FILENAME)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    reference = pytorch_fid.InceptionV3([pytorch_fid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
    with torch.no_grad():
        expected = reference(batch)[0].squeeze(-1).squeeze(-1)
        ours = load_fid_inception(weights)(batch)
        with_fc = load_fid_inception(tmp_path / "hub" / "checkpoints" / PYTORCH_FID_FILENAME)(batch)  # the real file has fc
    assert ours.shape == (6, 2048)
    assert torch.allclose(ours, expected, atol=1e-4) and torch.equal(ours, with_fc)


def test_frechet_distance_equals_pytorch_fids_formula():
    fid_score = pytest.importorskip("pytorch_fid.fid_score", reason="pytorch-fid is the reference (pip install pytorch-fid)")
    from common.metrics.fid import frechet_distance

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 64)), rng.normal(0.3, 1.2, size=(260, 64))
    expected = fid_score.calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_translate_fid_writes_the_papers_keys(tmp_path):
    import json

    from tests.helpers import make_image_folder
    from translate.cli import main

    weights = shared_folder("weights") / "pt_inception_fid_nofc.pth"
    a = make_image_folder(tmp_path / "a", count=3, size=(40, 48))
    b = make_image_folder(tmp_path / "b", count=3, size=(44, 40), seed=7)
    assert main(["fid", str(a), str(b), "--inception-weights", str(weights), "--json", str(tmp_path / "s.json"), "--device", "cpu"]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert set(scores) == {"fid", "kid", "kid_std", "protocol", "n_a", "n_b"} and scores["protocol"] == "pytorch-fid"
    assert scores["fid"] > 0 and scores["n_a"] == scores["n_b"] == 3


def test_translate_fid_names_a_missing_folder(tmp_path, capsys):
    from tests.helpers import make_image_folder
    from translate.cli import main

    weights = shared_folder("weights") / "pt_inception_fid_nofc.pth"
    a = make_image_folder(tmp_path / "a", count=2, size=(40, 40))
    assert main(["fid", str(a), str(tmp_path / "absent"), "--inception-weights", str(weights), "--device", "cpu"]) == 2
    assert f"error: {tmp_path / 'absent'}: folder not found" in capsys.readouterr().err
