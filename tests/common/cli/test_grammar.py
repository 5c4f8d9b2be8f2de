"""The shared CLI grammar: inputs anywhere, help with defaults, hints, no re-processing of earlier results."""
import argparse

import numpy as np
import pytest
import torch

from common.core.config import config_to_dict
from common.io.images import read_image, read_software_marker, write_image
from common.weights.model_files import save_weights
from superres import cli as superres_cli
from superres.models import SRResNet, lr_shuffle_config
from translate import cli as translate_cli
from translate.models import ResnetGenerator, ResnetGeneratorConfig


@pytest.fixture
def sr_model(tmp_path):
    torch.manual_seed(0)
    model = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    save_weights(model, tmp_path / "sr.safetensors", "srresnet", config_to_dict(model.config))
    return str(tmp_path / "sr.safetensors")


@pytest.fixture
def translate_run(tmp_path):
    run = tmp_path / "runs" / "s2w"
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1))
    save_weights(generator, run / "summer2winter.safetensors", "resnet_generator", config_to_dict(generator.config), {"direction": "summer2winter"})
    return run


def image(path, size=(12, 10), seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8))
    return path


def all_options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for option in sub._actions:
                    yield name, option, sub


@pytest.mark.parametrize("cli", [superres_cli, translate_cli])
def test_every_option_has_help_and_shows_its_default(cli):
    for command, action, sub in all_options(cli.build_parser()):
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.option_strings or action.dest} has no help text"
        if action.option_strings and action.default is not None and action.default is not False and action.default != argparse.SUPPRESS:
            shown = sub.formatter_class(sub.prog)._get_help_string(action)
            assert "default" in shown, f"{command} {action.option_strings}: default not shown"


def test_translate_run_as_the_readme_writes_it(tmp_path, translate_run, capsys):
    """`translate run RUN --direction D INPUTS... -o OUT`: options between the run and the inputs."""
    first, second = image(tmp_path / "holiday" / "a.png"), image(tmp_path / "holiday" / "b.png", seed=1)
    code = translate_cli.main(["run", str(translate_run), "--direction", "summer2winter", str(first), str(second), "-o", str(tmp_path / "winter")])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "winter").iterdir()) == ["a_summer2winter.png", "b_summer2winter.png"]


def test_translate_run_missing_run_folder(tmp_path, capsys):
    code = translate_cli.main(["run", str(tmp_path / "nowhere"), "--direction", "a2b", str(image(tmp_path / "x.png")), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "nowhere: run directory not found" in err and "unrecognized" not in err


def test_inputs_after_options_and_out_alias(tmp_path, sr_model):
    source = image(tmp_path / "in" / "p.png")
    assert superres_cli.main(["upscale", "--model", sr_model, "--out", str(tmp_path / "o"), str(source)]) == 0
    assert (tmp_path / "o" / "p_x2.png").is_file()


def test_scale_on_upscale_points_to_outscale(tmp_path, sr_model, capsys):
    with pytest.raises(SystemExit) as stop:
        superres_cli.main(["upscale", str(image(tmp_path / "p.png")), "--scale", "3"])
    assert stop.value.code == 2 and "--outscale" in capsys.readouterr().err


def test_one_output_file_for_several_inputs_is_refused(tmp_path, sr_model, capsys):
    a, b = image(tmp_path / "a.png"), image(tmp_path / "b.png", seed=1)
    assert superres_cli.main(["upscale", str(a), str(b), "--model", sr_model, "-o", str(tmp_path / "two.png")]) == 2
    assert "names one file, but there are 2 inputs" in capsys.readouterr().err
    assert not (tmp_path / "two.png").exists()


def test_rerunning_on_a_folder_skips_earlier_results(tmp_path, sr_model, capsys):
    folder = tmp_path / "photos"
    image(folder / "monarch.png")
    assert superres_cli.main(["upscale", str(folder / "monarch.png"), "--model", sr_model]) == 0
    assert read_software_marker(folder / "monarch_x2.png").startswith("gansuite")
    # The README's second command on the folder, with another outscale: the _x2 result is not upscaled again.
    assert superres_cli.main(["upscale", str(folder), "--model", sr_model, "--outscale", "1", "-o", str(tmp_path / "out")]) == 0
    assert "skipped 1 earlier gansuite result(s): monarch_x2.png" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["monarch_x1.png"]
    assert superres_cli.main(["upscale", str(folder), "--model", sr_model, "--include-outputs", "-o", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["monarch_x2.png", "monarch_x2_x2.png"]


def test_earlier_results_are_known_by_name_without_a_marker(tmp_path, sr_model, capsys):
    folder = tmp_path / "photos"
    image(folder / "cat.jpg")
    image(folder / "cat_x4.jpg", seed=2)  # e.g. made by another version; no marker, but named like our result
    image(folder / "dog_x4.jpg", seed=3)  # no dog.jpg beside it: a user's own file, processed
    assert superres_cli.main(["upscale", str(folder), "--model", sr_model, "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cat_x2.jpg", "dog_x4_x2.jpg"]


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "tif"])
def test_results_carry_the_marker_in_every_format(tmp_path, sr_model, ext):
    source = image(tmp_path / "p.png")
    assert superres_cli.main(["upscale", str(source), "--model", sr_model, "--ext", ext]) == 0
    assert read_software_marker(tmp_path / f"p_x2.{ext}").startswith("gansuite superres upscale (source ")  # and its settings
    assert read_image(tmp_path / f"p_x2.{ext}").shape == (24, 20, 3)


def test_names_with_glob_and_markup_characters(tmp_path, sr_model, capsys):
    odd = image(tmp_path / "photo [1].png")
    markup = image(tmp_path / "a[bold]b.png", seed=1)
    assert superres_cli.main(["upscale", str(odd), str(markup), "--model", sr_model, "-o", str(tmp_path / "o")]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a[bold]b_x2.png", "photo [1]_x2.png"]
    assert "a[bold]b.png ->" in capsys.readouterr().err
    (tmp_path / "bad [x].png").write_bytes(b"junk")
    assert superres_cli.main(["upscale", str(tmp_path / "bad [x].png"), "--model", sr_model, "-o", str(tmp_path / "o2")]) == 1
    assert "bad [x].png: cannot read image" in capsys.readouterr().err


def test_translate_export_has_int8_too(tmp_path, translate_run):
    from tests.helpers import make_image_folder

    calibration = make_image_folder(tmp_path / "calib", count=2, size=(72, 72))
    out = tmp_path / "s2w_int8.onnx"
    assert translate_cli.main(["export", str(translate_run), "--direction", "summer2winter", "-o", str(out), "--int8", str(calibration), "--int8-keep"]) == 0
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["precision"] == "int8" and meta["task"] == "translate"
