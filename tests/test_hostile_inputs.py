"""Hostile inputs and unlucky operators: one `error:` line naming the file, no traceback, the other files still
processed, inputs byte-identical, no partial or stray file, exit status 1 (some failed) or 2 (bad option)."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.io.images import read_image, write_image
from common.weights.model_files import save_weights
from superres import cli as superres_cli
from superres.models import SRResNet, lr_shuffle_config
from translate import cli as translate_cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def model(tmp_path) -> str:
    torch.manual_seed(0)
    net = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    save_weights(net, tmp_path / "m.safetensors", "srresnet", config_to_dict(net.config))
    return str(tmp_path / "m.safetensors")


def picture(path: Path, seed: int = 0, size=(12, 10), channels: int = 3, dtype=np.uint8) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    high = 65536 if dtype == np.uint16 else 256
    write_image(path, np.random.default_rng(seed).integers(0, high, (*size, channels), dtype=dtype))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def one_error_line(err: str, name: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert any(name in line for line in lines), err
    assert "Traceback" not in err


def no_partials(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.name.endswith(".partial")]


def test_unexpected_failures_are_per_file_and_the_batch_goes_on(tmp_path, model, capsys, monkeypatch):
    inputs = tmp_path / "in"
    good, other = picture(inputs / "good.png"), picture(inputs / "other.png", seed=1)
    before = snapshot(inputs)
    from superres import upscaler

    original = upscaler.Upscaler.upscale_array

    def explode_on_other(self, pixels, progress=None):
        if pixels.shape == read_image(other).shape and np.array_equal(pixels, read_image(other)):
            raise ZeroDivisionError("a bug nobody foresaw")
        return original(self, pixels, progress)

    monkeypatch.setattr(upscaler.Upscaler, "upscale_array", explode_on_other)
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    one_error_line(err, "other.png: unexpected ZeroDivisionError: a bug nobody foresaw")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_x2.png"]
    assert snapshot(inputs) == before


def test_disk_full_and_name_too_long(tmp_path, model, capsys, monkeypatch):
    inputs = tmp_path / "in"
    picture(inputs / "a.png")
    code = superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "o1"), "--suffix", "_" + "x" * 300])
    one_error_line(capsys.readouterr().err, "a.png: File name too long")
    assert code == 1
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "o2")]) == 1
    monkeypatch.setattr(os, "fsync", real_fsync)
    one_error_line(capsys.readouterr().err, "a.png: No space left on device")
    assert list((tmp_path / "o2").iterdir()) == []  # no partial left behind


def test_output_that_is_a_file_or_inside_a_file(tmp_path, model, capsys):
    a, b = picture(tmp_path / "a.png"), picture(tmp_path / "b.png", seed=1)
    (tmp_path / "notes").write_text("keep me")
    assert superres_cli.main(["upscale", str(a), str(b), "--model", model, "-o", str(tmp_path / "notes")]) == 2
    one_error_line(capsys.readouterr().err, "notes: exists and is not a folder")
    assert superres_cli.main(["upscale", str(a), str(b), "--model", model, "-o", str(tmp_path / "notes" / "sub")]) == 2
    one_error_line(capsys.readouterr().err, "cannot create the folder")
    assert (tmp_path / "notes").read_text() == "keep me"


def test_symlink_loop_and_markup_in_paths(tmp_path, model, capsys):
    folder = tmp_path / "w["
    picture(folder / "]x.png")  # the path holds "[/]", a rich closing tag
    os.symlink(folder / "loop.png", folder / "loop.png")
    assert superres_cli.main(["upscale", str(folder / "]x.png"), str(folder / "loop.png"), "--model", model, "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    one_error_line(err, "loop.png: broken symbolic link or link loop")
    assert "w[/]x.png ->" in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["]x_x2.png"]


@pytest.mark.parametrize("argv, option", [
    (["upscale", "x.png", "--outscale", "nan"], "--outscale"),
    (["upscale", "x.png", "--tile-overlap", "-5"], "--tile-overlap"),
    (["upscale", "x.png", "--tile", "-1"], "--tile"),
    (["train", "--data", "d", "-o", "r", "--batch-size", "0"], "--batch-size"),
    (["train", "--data", "d", "-o", "r", "--max-steps", "-1"], "--max-steps"),
    (["train", "--data", "d", "-o", "r", "--ema", "2"], "--ema"),
    (["train", "--data", "d", "-o", "r", "--lr", "0"], "--lr"),
])
def test_bad_numbers_are_one_line_naming_the_option(argv, option, capsys):
    with pytest.raises(SystemExit) as stop:
        superres_cli.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and f"argument {option}" in err, err


@pytest.mark.parametrize("argv, message", [
    (["train", "--ngf", "0"], "argument --ngf"),
    (["train", "--lambda-cycle", "nan"], "argument --lambda-cycle"),
    (["train", "--max-steps", "-1"], "argument --max-steps"),
    (["train", "--pool-size", "-3"], "argument --pool-size"),
])
def test_bad_translate_numbers(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        translate_cli.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_same_domain_twice(capsys):
    assert translate_cli.main(["train", "--domains", "A", "A"]) == 2
    assert "the two domains must differ" in capsys.readouterr().err


def test_tiny_image_translates(tmp_path, capsys):
    from translate.models import ResnetGenerator, ResnetGeneratorConfig

    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1))
    save_weights(generator, tmp_path / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    for size in ((4, 4), (1, 3), (5, 9)):
        picture(tmp_path / f"t{size[0]}x{size[1]}.png", size=size)
    assert translate_cli.main(["run", "--model", str(tmp_path / "g.safetensors"), str(tmp_path / "t*.png"), "-o", str(tmp_path / "o")]) == 0
    assert read_image(tmp_path / "o" / "t4x4_translated.png").shape == (4, 4, 3)
    assert read_image(tmp_path / "o" / "t1x3_translated.png").shape == (1, 3, 3)


def test_sixteen_bit_grey_alpha_stays_grey_alpha(tmp_path, model):
    source = picture(tmp_path / "ga.png", channels=2, dtype=np.uint16)
    assert read_image(source).shape == (12, 10, 2)
    assert superres_cli.main(["upscale", str(source), "--model", model]) == 0
    result = read_image(tmp_path / "ga_x2.png")
    assert result.shape == (24, 20, 2) and result.dtype == np.uint16


def test_sigterm_mid_batch_leaves_no_partial_and_keeps_finished_results(tmp_path, model, monkeypatch):
    inputs = tmp_path / "in"
    for index in range(3):
        picture(inputs / f"p{index}.png", seed=index)
    from common.io import images as imageio

    original = imageio._encode_to
    calls = {"n": 0}

    def encode_then_terminate(handle, pixels, *args):
        calls["n"] += 1
        original(handle, pixels, *args)
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as systemd or Slurm stopping the job mid-write

    monkeypatch.setattr(imageio, "_encode_to", encode_then_terminate)
    assert superres_cli.main(["upscale", str(inputs), "--model", model, "-o", str(tmp_path / "o")]) == 130
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["p0_x2.png"]


def test_publishing_never_replaces_a_file_that_appeared_meanwhile(tmp_path, model, capsys, monkeypatch):
    """The exists-check and the rename cannot race: the publish itself refuses an existing name."""
    from common.io import batch as batch_files

    source = picture(tmp_path / "in" / "x.png")
    (tmp_path / "out").mkdir()
    theirs = tmp_path / "out" / "x_x2.png"
    monkeypatch.setattr(batch_files, "_check_target", lambda *args: theirs.write_bytes(b"another process's result") and False)
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(tmp_path / "out")]) == 1
    one_error_line(capsys.readouterr().err, "x_x2.png: already exists")
    assert theirs.read_bytes() == b"another process's result"
    no_partials(tmp_path / "out")


def test_two_processes_same_output_name(tmp_path, model):
    picture(tmp_path / "dirA" / "x.png", seed=1, size=(64, 64))
    picture(tmp_path / "dirB" / "x.png", seed=2, size=(64, 64))
    command = [sys.executable, "-m", "superres.cli", "upscale", "--model", model, "-o", str(tmp_path / "out")]
    procs = [subprocess.Popen(command + [str(tmp_path / d / "x.png")], cwd=ROOT, stderr=subprocess.PIPE, text=True) for d in ("dirA", "dirB")]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "x_x2.png: already exists" in loser and "Traceback" not in loser
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x_x2.png"]


def test_config_claiming_ten_thousand_blocks_is_refused_before_building(tmp_path):
    from safetensors.torch import save_file

    from superres.pretrained import load_sr_model

    net = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    for blocks, refusal in ((10_000, "num_blocks 10,000 is outside the supported 0..512"), (500, "the config describes")):
        config = {**config_to_dict(net.config), "num_blocks": blocks}
        header = {"gansuite": json.dumps({"format": "gansuite", "kind": "srresnet", "config": config})}
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "liar.safetensors", metadata=header)
        with pytest.raises(UserError, match=refusal):
            load_sr_model(tmp_path / "liar.safetensors")
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "bad.safetensors", metadata={"gansuite": "{not json"})
    with pytest.raises(UserError, match="malformed gansuite metadata"):
        load_sr_model(tmp_path / "bad.safetensors")


def test_onnx_metadata_that_disagrees_with_the_graph(tmp_path, model):
    import onnx

    from export.runtime import OnnxSession
    from tests.helpers import forge_metadata
    from superres.onnx import export_sr_model

    export_sr_model(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    forge_metadata(proto, scale="4")  # the flat key and the document alike, as a forger would
    onnx.save(proto, str(tmp_path / "liar.onnx"))
    with pytest.raises(UserError, match="metadata says scale 4, but the graph turns 8 pixels into 16"):
        OnnxSession(tmp_path / "liar.onnx", device="cpu")
