"""The embedded real-world default model: the denoise blend, the CLI around it, the degraded evaluation recipe
and the `superres degrade` preview."""
import json

import numpy as np
import pytest
import torch

from common.io.images import read_image
from common.weights.model_files import load_weights
from superres.cli import main
from superres.data import load_eval_set
from superres.degraded_eval import degrade_for_evaluation
from superres.denoise import interpolate_weights
from superres.pretrained import load_sr_model
from superres.weights import DEFAULT_DENOISE, real_world_model_paths
from tests.helpers import make_image_folder


def test_interpolate_weights_endpoints_and_midpoint():
    a, b = {"w": torch.zeros(2, 3)}, {"w": torch.full((2, 3), 4.0, dtype=torch.float16)}
    assert torch.equal(interpolate_weights(a, b, 0.0)["w"], a["w"])
    assert torch.equal(interpolate_weights(a, b, 1.0)["w"], b["w"].float())
    assert torch.equal(interpolate_weights(a, b, 0.25)["w"], torch.ones(2, 3))
    with pytest.raises(ValueError):
        interpolate_weights(a, {"v": torch.zeros(2, 3)}, 0.5)


@pytest.mark.parametrize("name", ["default", "gan"])
def test_blended_models_blend_their_two_embedded_weight_sets(name):
    detail, _ = load_weights(real_world_model_paths(name)[0], "srresnet")
    denoise, _ = load_weights(real_world_model_paths(name)[1], "srresnet")
    for strength, expected in [(0.0, detail), (1.0, denoise)]:
        model, meta = load_sr_model(name, denoise=strength)
        assert meta["denoise"] == strength
        assert all(torch.equal(model.state_dict()[k], expected[k].float()) for k in expected)
    assert load_sr_model(name)[1]["denoise"] == DEFAULT_DENOISE == 0.25
    assert any(not torch.equal(detail[k], denoise[k]) for k in detail)


def test_gan_is_the_default_pair_with_a_gan_trained_detail_end():
    gan, l1 = real_world_model_paths("gan"), real_world_model_paths("default")
    assert gan[0].name == "real_x4_gan.safetensors" and l1[0].name == "real_x4_detail.safetensors"
    assert gan[1] == l1[1]  # one denoising end, shared
    assert load_sr_model("gan", denoise=0)[1]["stage"] == "gan"
    assert load_sr_model("default", denoise=0)[1]["stage"] == "pretrain"


def test_denoise_changes_the_result_and_the_cli_matches_the_library(tmp_path):
    from superres.upscaler import Upscaler

    source = make_image_folder(tmp_path / "in", count=1, size=(24, 20)) / "img00.png"
    pixels = read_image(source)
    assert main(["upscale", str(source), "-o", str(tmp_path / "dn02.png"), "--denoise", "0.2", "--device", "cpu"]) == 0
    expected = Upscaler.from_pretrained("default", denoise=0.2, device="cpu")(pixels)
    np.testing.assert_array_equal(read_image(tmp_path / "dn02.png"), expected)
    strong = Upscaler.from_pretrained("default", denoise=1.0, device="cpu")(pixels)
    assert np.abs(strong.astype(int) - expected.astype(int)).max() > 0


def test_denoise_option_errors(tmp_path, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(16, 16)) / "img00.png"
    with pytest.raises(SystemExit):
        main(["upscale", str(source), "--denoise", "1.5"])
    assert "--denoise: must be <= 1" in capsys.readouterr().err
    assert main(["upscale", str(source), "--model", "clean", "--denoise", "0.3", "--precision", "fp32", "-o", str(tmp_path / "c.png")]) == 2
    assert "--denoise applies to the embedded default and gan models, not to clean" in capsys.readouterr().err
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"x")
    assert main(["upscale", str(source), "--model", str(onnx), "--denoise", "0.3"]) == 2
    assert "an ONNX file has fixed weights" in capsys.readouterr().err
    assert not (tmp_path / "c.png").exists()


def test_clean_model_is_todays_bicubic_model(tmp_path):
    model, meta = load_sr_model("clean")
    assert meta["stage"] == "pretrain" and meta["step"] == 4000 and "degradation" not in meta
    assert sum(p.numel() for p in model.parameters()) == 657_264


def test_degraded_evaluation_recipe_is_seeded_by_name_and_degrades():
    hr = torch.from_numpy(read_image(make_image_folder_single())).permute(2, 0, 1)[None]
    a = degrade_for_evaluation(hr, 4, "a.png")
    assert a.shape == (1, 3, 12, 10) and a.dtype == torch.uint8
    assert torch.equal(a, degrade_for_evaluation(hr, 4, "a.png"))
    assert not torch.equal(a, degrade_for_evaluation(hr, 4, "b.png"))


def make_image_folder_single():
    import tempfile
    from pathlib import Path

    return make_image_folder(Path(tempfile.mkdtemp()), count=1, size=(48, 40)) / "img00.png"


def test_eval_degraded_writes_its_recipe(tmp_path, capsys):
    data = make_image_folder(tmp_path / "hr", count=2, size=(48, 40))
    clean = load_eval_set(data, 4)
    degraded = load_eval_set(data, 4, degraded=True)
    assert all(c.lr.shape == d.lr.shape and not torch.equal(c.lr, d.lr) for c, d in zip(clean, degraded))
    assert main(["eval", "--data", str(data), "--degraded", "--model", "clean", "--json", str(tmp_path / "s.json"), "--device", "cpu"]) == 0
    payload = json.loads((tmp_path / "s.json").read_text())
    assert payload["lr"] == "degraded" and payload["denoise"] is None
    assert main(["eval", "--data", str(data), "--degraded", "--denoise", "0.7", "--json", str(tmp_path / "d.json"), "--device", "cpu"]) == 0
    assert json.loads((tmp_path / "d.json").read_text())["denoise"] == 0.7


def test_degrade_preview_cli(tmp_path, capsys):
    data = make_image_folder(tmp_path / "hr", count=2, size=(48, 40))
    (data / "broken.png").write_bytes(b"not a png")
    assert main(["degrade", str(data), "-o", str(tmp_path / "lr")]) == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "Traceback" not in err
    first = read_image(tmp_path / "lr" / "img00_lr.png")
    assert first.shape == (12, 10, 3)
    assert main(["degrade", str(data / "img00.png"), "-o", str(tmp_path / "again.png")]) == 0
    np.testing.assert_array_equal(read_image(tmp_path / "again.png"), first)  # the i-th image is sample i
    assert main(["degrade", str(data / "img00.png"), "-o", str(tmp_path / "again.png")]) == 0  # the same run again: done, kept
    assert main(["degrade", str(data / "img00.png"), "-o", str(tmp_path / "again.png"), "--seed", "1"]) == 1  # other settings: never overwrites
    settings = tmp_path / "s.json"
    settings.write_text('{"final_sinc_prob": 2}')
    assert main(["degrade", str(data), "-o", str(tmp_path / "x"), "--degradation-config", str(settings)]) == 2
    assert "final_sinc_prob" in capsys.readouterr().err

