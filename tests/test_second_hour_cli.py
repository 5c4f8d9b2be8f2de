"""What a user trips on in the second hour, on the command line: re-runs, Real-ESRGAN's flags, options that do not
apply, one engine choice for the CLI and Python, folders with subfolders, counts a machine cannot hold, and names
after ``--``."""
from __future__ import annotations

import numpy as np
import pytest

from common.io.images import read_image
from superres import cli as superres_cli
from tests.test_hostile_inputs import model, one_error_line, picture  # noqa: F401 (model is a fixture)
from translate import cli as translate_cli


def test_re_running_a_batch_skips_what_is_done_and_does_the_new(tmp_path, model, capsys):  # noqa: F811
    inputs, out = tmp_path / "in", tmp_path / "out"
    for index in range(3):
        picture(inputs / f"p{index}.png", seed=index)
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(out)]) == 0
    done = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    picture(inputs / "p3.png", seed=3)  # a file added after the first run
    capsys.readouterr()
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "3 already done, 1 new" in err and "error" not in err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name in done} == done  # untouched
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(out), "--overwrite"]) == 0
    assert "already done" not in capsys.readouterr().err


def test_a_result_of_another_source_with_the_same_name_is_not_done(tmp_path, model, capsys):  # noqa: F811
    out = tmp_path / "out"
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a" / "x.png", seed=1)), "--model", model, "-o", str(out)]) == 0
    assert superres_cli.main(["upscale", str(picture(tmp_path / "b" / "x.png", seed=2)), "--model", model, "-o", str(out)]) == 1
    one_error_line(capsys.readouterr().err, "x_x2.png: already exists, not made from x.png with these settings")


def test_re_running_translate_run_skips_what_is_done(tmp_path, capsys):
    import torch

    from common.core.config import config_to_dict
    from common.weights.model_files import save_weights
    from translate.models import ResnetGenerator, ResnetGeneratorConfig

    torch.manual_seed(0)
    net = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1))
    save_weights(net, tmp_path / "g.safetensors", "resnet_generator", config_to_dict(net.config), {"direction": "a2b"})
    inputs = tmp_path / "in"
    picture(inputs / "x.png", size=(16, 16))
    args = ["run", "--model", str(tmp_path / "g.safetensors"), str(inputs), "-o", str(tmp_path / "out"), "--device", "cpu"]
    assert translate_cli.main(args) == 0
    assert translate_cli.main(args) == 0
    assert "1 already done, 0 new" in capsys.readouterr().err


def test_real_esrgan_flags_work_as_theirs(tmp_path, capsys):
    source = picture(tmp_path / "in" / "photo.png", size=(12, 10))
    out = tmp_path / "out"
    argv = ["upscale", "-i", str(source), "-o", str(out), "-n", "default", "-s", "2", "-t", "256", "--tile_pad", "10",
            "-dn", "0.5", "--fp32", "--ext", "png", "--suffix", "out", "--alpha_upsampler", "bicubic"]
    assert superres_cli.main(argv) == 0
    result = out / "photo_out.png"  # Real-ESRGAN's {name}_{suffix}.{ext}
    assert read_image(result).shape == (24, 20, 3)


def test_the_flags_mean_the_same_as_ours(tmp_path, model):  # noqa: F811
    source = picture(tmp_path / "photo.png", size=(12, 10))
    theirs, ours = tmp_path / "theirs.png", tmp_path / "ours.png"
    assert superres_cli.main(["upscale", "-i", str(source), "-n", model, "-s", "3", "-t", "4", "--tile_pad", "2", "-o", str(theirs)]) == 0
    assert superres_cli.main(["upscale", str(source), "--model", model, "--outscale", "3", "--tile", "4", "--tile-overlap", "2",
                              "-o", str(ours)]) == 0
    assert np.array_equal(read_image(theirs), read_image(ours))


@pytest.mark.parametrize("argv, message", [
    (["--model", "clean", "--denoise", "0.5"], "--denoise applies to the embedded default and gan models, not to clean"),
    (["--arch", "rrdbnet"], "--arch rrdbnet names the architecture of a released .pth file"),
    (["--precision", "int8"], "--precision int8 runs the embedded models' shipped int8 files"),
    (["--model", "default", "--precision", "int8", "--backend", "torch"], "--precision int8 runs with onnxruntime"),
    (["--model", "default", "--precision", "int8", "--denoise", "0.7"], "--precision int8 is shipped for --denoise 0.25 only"),
])
def test_options_that_do_not_apply_are_one_error(tmp_path, model, capsys, argv, message):  # noqa: F811
    argv = [a if a != "MODEL" else model for a in argv]
    if "--model" not in argv:
        argv = ["--model", model, *argv]
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "-o", str(tmp_path / "o.png"), *argv]) == 2
    one_error_line(capsys.readouterr().err, message)
    assert not (tmp_path / "o.png").exists()


def test_a_harmless_ignored_option_is_one_warning(tmp_path, model, capsys):  # noqa: F811
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", model, "--precision", "fp32", "-o", str(tmp_path / "o.png")]) == 0
    assert "warning: --precision fp32 has no effect on --model" in capsys.readouterr().err


def test_python_and_the_cli_choose_the_same_engine_and_give_the_same_pixels(tmp_path):
    from superres import load_upscaler

    source = picture(tmp_path / "a.png", size=(20, 18))
    assert superres_cli.main(["upscale", str(source), "-o", str(tmp_path / "cli.png"), "--device", "cpu"]) == 0
    upscaler = load_upscaler("default", device="cpu")
    assert type(upscaler).__name__ == "OnnxUpscaler"  # the shipped int8 file, as the CLI runs on a CPU
    assert np.array_equal(upscaler(read_image(source)), read_image(tmp_path / "cli.png"))
    assert type(load_upscaler("default", precision="fp32", device="cpu")).__name__ == "Upscaler"


def test_recursive_mirrors_the_tree_and_without_it_subfolders_are_mentioned(tmp_path, model, capsys):  # noqa: F811
    inputs = tmp_path / "in"
    picture(inputs / "a.png")
    picture(inputs / "trip" / "day1" / "b.png", seed=1)
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "flat")]) == 0
    assert "1 subfolder(s) not searched (--recursive takes them" in capsys.readouterr().err
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "tree"), "--recursive"]) == 0
    assert sorted(str(p.relative_to(tmp_path / "tree")) for p in (tmp_path / "tree").rglob("*.png")) == ["a_x2.png", "trip/day1/b_x2.png"]


def test_bmp_output_and_degrade_says_it_writes_png(tmp_path, model, capsys):  # noqa: F811
    source = picture(tmp_path / "a.png")
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(tmp_path / "o"), "--ext", "bmp"]) == 0
    assert read_image(tmp_path / "o" / "a_x2.bmp").shape == (24, 20, 3)
    jpeg = tmp_path / "photo.jpg"
    from common.io.images import write_image

    write_image(jpeg, read_image(source))
    capsys.readouterr()
    assert superres_cli.main(["degrade", str(jpeg), "-o", str(tmp_path / "d"), "--scale", "2"]) == 0
    assert "degraded images are written as PNG" in capsys.readouterr().err


@pytest.mark.parametrize("argv, option", [
    (["upscale", "x.png", "--threads", "100000"], "--threads: 100000 threads on a machine with"),
    (["train", "--data", "d", "-o", "r", "--workers", "100000"], "--workers: 100000 worker processes"),
    (["train", "--data", "d", "-o", "r", "--batch-size", "1000000"], "--batch-size: must be <= 4096"),
    (["upscale", "x.png", "--tile", "10000000"], "--tile: must be <= 65536"),
])
def test_counts_are_bounded_by_the_machine(capsys, argv, option):
    with pytest.raises(SystemExit) as stop:
        superres_cli.main(argv)
    assert stop.value.code == 2
    one_error_line(capsys.readouterr().err, option)


def test_a_file_named_like_an_option_after_double_dash(tmp_path, model, capsys, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    picture(tmp_path / "-photo.png")
    assert superres_cli.main(["upscale", "--model", model, "-o", "out", "--", "-photo.png"]) == 0
    assert (tmp_path / "out" / "-photo_x2.png").is_file()
    with pytest.raises(SystemExit) as stop:
        superres_cli.main(["upscale", "--model", model, "--", "-photo.png", "-o", "out2"])
    assert stop.value.code == 2
    one_error_line(capsys.readouterr().err, "-o comes after --, where every word is an input; put the options before --")
