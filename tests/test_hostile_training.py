"""Hostile training inputs, second sweep: translate's full-resolution mode with odd and tiny images, and a
``checkpoints/last.pt`` that is empty, of another shape or of other networks. One `error:` line, never an
"unexpected" exception from the error path itself."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from common.io.images import write_image
from tests.test_hostile_inputs import one_error_line
from translate import cli as translate_cli


def domains_of_sizes(root, sizes_a, sizes_b):
    rng = np.random.default_rng(0)
    for domain, sizes in (("A", sizes_a), ("B", sizes_b)):
        (root / domain).mkdir(parents=True, exist_ok=True)
        for index, (height, width) in enumerate(sizes):
            write_image(root / domain / f"{index}.png", rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    return root


TINY = ["--ngf", "4", "--ndf", "4", "--n-blocks", "6", "--device", "cpu", "--sample-every", "2", "--log-every", "1"]


def test_full_resolution_training_on_images_of_different_odd_sizes(tmp_path):
    """The identity pass stacked A and B images into one batch: different sizes failed with a RuntimeError."""
    data = domains_of_sizes(tmp_path / "d", [(37, 41), (29, 33), (45, 31)], [(39, 35), (33, 47)])
    run = tmp_path / "run"
    assert translate_cli.main(["train", "--data", str(data), "--domains", "A", "B", "-o", str(run), "--preprocess", "none",
                               "--max-steps", "4", *TINY]) == 0
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4] and (run / "A2B.safetensors").is_file()


def test_images_too_small_for_the_networks_are_refused_up_front(tmp_path, capsys):
    data = domains_of_sizes(tmp_path / "d", [(40, 40), (10, 10)], [(40, 40)])
    run = tmp_path / "run"
    assert translate_cli.main(["train", "--data", str(data), "--domains", "A", "B", "-o", str(run), "--preprocess", "none",
                               "--max-steps", "2", *TINY]) == 2
    err = capsys.readouterr().err
    one_error_line(err, "1.png: 10x10 is too small for --preprocess none (each side must be at least 24 pixels")
    assert "unexpected" not in err and not (run / "checkpoints").exists()


def test_wgan_with_full_resolution_images_is_refused(tmp_path, capsys):
    data = domains_of_sizes(tmp_path / "d", [(40, 40)], [(44, 40)])
    assert translate_cli.main(["train", "--data", str(data), "--domains", "A", "B", "-o", str(tmp_path / "r"), "--preprocess", "none",
                               "--gan-loss", "wgan", "--max-steps", "2", *TINY]) == 2
    one_error_line(capsys.readouterr().err, "--gan-loss wgan mixes real and fake images of one size")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_ckpt")
    data = domains_of_sizes(root / "d", [(28, 28)] * 2, [(28, 28)] * 2)
    run = root / "run"
    args = ["train", "--data", str(data), "--domains", "A", "B", "-o", str(run), "--load-size", "28", "--crop-size", "24",
            "--max-steps", "2", *TINY]
    assert translate_cli.main(args) == 0
    return run, args


@pytest.mark.parametrize("content, message", [
    (b"", "empty file (0 bytes), not a training checkpoint of this tool"),
    ({}, "not a training checkpoint of this tool (missing or malformed: step, nets, optimizers, schedulers, rng, task_config)"),
    ([1, 2, 3], "not a training checkpoint of this tool (it holds a list"),
    ({"step": 2, "task_config": {}}, "not a training checkpoint of this tool (missing or malformed: nets, optimizers, schedulers, rng)"),
    ({"step": 2, "nets": {"critic": {}}, "optimizers": {}, "schedulers": {}, "rng": {}, "task_config": {}},
     "a checkpoint of other nets (no generator, discriminator)"),
])
def test_a_broken_last_pt_on_resume_says_what_it_is(tmp_path, finished_run, capsys, content, message):
    run, args = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    target = copy / "checkpoints" / "last.pt"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        torch.save(content, target)
    resume = [copy if a == str(run) else a for a in args]
    assert translate_cli.main([str(a) for a in resume] + ["--max-steps", "3", "--resume"]) == 2
    err = capsys.readouterr().err
    one_error_line(err, f"last.pt: {message}")
    assert "unexpected" not in err


def test_a_checkpoint_of_other_network_sizes_is_one_line(tmp_path, finished_run, capsys):
    run, args = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    state = torch.load(copy / "checkpoints" / "last.pt", weights_only=True)
    name = next(iter(state["nets"]["generator"]))
    state["nets"]["generator"][name] = torch.zeros(1)
    torch.save(state, copy / "checkpoints" / "last.pt")
    resume = [str(copy) if a == str(run) else a for a in args]
    assert translate_cli.main(resume + ["--max-steps", "3", "--resume"]) == 2
    err = capsys.readouterr().err
    one_error_line(err, "last.pt: does not fit this run's networks or optimizers (RuntimeError")
    assert "unexpected" not in err
