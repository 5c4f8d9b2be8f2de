"""Files saved before ``common/`` became sub-packages (tests/fixtures/pre_subpackages, written at 4be8ddd) still
load, run and resume: nothing saved refers to a module path, and this pins it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from superres import Upscaler
from superres.cli import main as superres_main
from tests.helpers import make_image_folder
from translate import Translator
from translate.cli import main as translate_main

OLD = Path(__file__).resolve().parent / "fixtures" / "pre_subpackages"


@pytest.fixture
def old_runs(tmp_path, monkeypatch):
    """The old runs copied into an empty folder, with the data they were trained on (relative paths, as saved)."""
    shutil.copytree(OLD, tmp_path, dirs_exist_ok=True)
    make_image_folder(tmp_path / "sr_data", count=2, size=(40, 40))
    make_image_folder(tmp_path / "data" / "summer", 3, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 3, (28, 24), seed=5)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_old_sr_model_upscales(old_runs):
    upscaler = Upscaler.from_pretrained(old_runs / "sr_run" / "model.safetensors", device="cpu")
    out = upscaler(np.full((6, 5, 3), 120, np.uint8))
    assert out.shape == (12, 10, 3) and out.dtype == np.uint8


def test_an_old_cyclegan_generator_translates(old_runs):
    translator = Translator.from_checkpoint(old_runs / "cg_run", direction="summer2winter", device="cpu")
    out = translator(np.full((24, 28, 3), 90, np.uint8))
    assert out.shape == (24, 28, 3) and out.dtype == np.uint8


def test_an_old_sr_checkpoint_resumes(old_runs):
    args = ["train", "--data", "sr_data", "--out", "sr_run", "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--max-steps", "3", "--checkpoint-every", "2",
            "--device", "cpu", "--resume"]
    assert superres_main(args) == 0
    assert json.loads((old_runs / "sr_run" / "model.json").read_text())["step"] == 3
    steps = [json.loads(line)["step"] for line in (old_runs / "sr_run" / "metrics.jsonl").read_text().splitlines()]
    assert steps[-1] == 3


def test_an_old_cyclegan_checkpoint_resumes(old_runs):
    args = ["train", "--data", "data", "--domains", "summer", "winter", "-o", "cg_run", "--ngf", "2", "--ndf", "2",
            "--n-blocks", "6", "--load-size", "28", "--crop-size", "24", "--pool-size", "3", "--max-steps", "3",
            "--checkpoint-every", "2", "--log-every", "1", "--sample-every", "0", "--device", "cpu", "--resume"]
    assert translate_main(args) == 0
    assert json.loads((old_runs / "cg_run" / "summer2winter.json").read_text())["step"] == 3


def test_the_public_api_is_unchanged():
    import export
    import superres
    import translate

    names = {superres: ["CompactConfig", "CompactSR", "RRDBNet", "RRDBNetConfig", "SRResNet", "SRResNetConfig", "Upscaler",
                        "import_sr_checkpoint", "lr_shuffle_config", "msrresnet_config", "srresnet_paper_config"],
             translate: ["ResnetGenerator", "ResnetGeneratorConfig", "Translator", "import_cyclegan_generator"]}
    for package, public in names.items():
        assert set(public) <= set(package.__all__)  # new names may come; none of these may go
        for name in public:
            assert getattr(package, name).__name__ == name
    assert export is not None
