"""Resume is exact at any step: past the point where the image pools are full, with and without workers, after a
SIGTERM to the whole process group, after kill -9 at random moments, and with a corrupt image in the data."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from common.train.checkpoint import load_checkpoint
from common.train.loop import LoopConfig
from common.weights.model_files import load_weights
from tests.helpers import make_image_folder, train_interrupted_then_resumed
from translate.train import train_cyclegan
from tests.translate.test_translate import _tiny

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def domains(tmp_path):
    make_image_folder(tmp_path / "data" / "summer", 5, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 5, (28, 24), seed=5)
    return tmp_path / "data"


def same_generators(run_a: Path, run_b: Path, names=("summer2winter", "winter2summer")) -> float:
    worst = 0.0
    for direction in names:
        a, _ = load_weights(run_a / f"{direction}.safetensors", "resnet_generator")
        b, _ = load_weights(run_b / f"{direction}.safetensors", "resnet_generator")
        worst = max(worst, max(float((a[k] - b[k]).abs().max()) for k in a))
    return worst


def straight_then_interrupted_and_resumed(tmp_path, config, loop, monkeypatch, step: int) -> float:
    """Train straight; train again stopped by SIGINT at ``step`` and resumed; the largest weight difference."""
    from translate.step import CycleGANStep

    train_cyclegan(config, loop, tmp_path / "straight")
    train_interrupted_then_resumed(monkeypatch, CycleGANStep, step, lambda resume: train_cyclegan(config, loop, tmp_path / "resumed", resume=resume))
    return same_generators(tmp_path / "straight", tmp_path / "resumed")


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_after_the_pools_are_full(tmp_path, domains, monkeypatch, workers):
    """Pool of 4, 12 steps, resumed at 7: the old loader drew its seed from the restored global RNG and drifted."""
    config = _tiny(domains, pool_size=4)
    loop = LoopConfig(max_steps=12, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0,
                      ema_decay=0, num_workers=workers)
    assert straight_then_interrupted_and_resumed(tmp_path, config, loop, monkeypatch, 7) == 0.0
    straight = (tmp_path / "straight" / "metrics.jsonl").read_text()
    resumed = (tmp_path / "resumed" / "metrics.jsonl").read_text()
    drop_speed = lambda text: [{k: v for k, v in json.loads(line).items() if k != "it_per_s"} for line in text.splitlines()]  # noqa: E731
    assert drop_speed(straight) == drop_speed(resumed)


def test_corrupt_image_is_skipped_and_resume_stays_exact(tmp_path, domains, monkeypatch, capsys):
    (domains / "summer" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    config = _tiny(domains, pool_size=2)
    loop = LoopConfig(max_steps=8, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    assert straight_then_interrupted_and_resumed(tmp_path, config, loop, monkeypatch, 5) == 0.0
    assert "broken.jpg: cannot read image" in capsys.readouterr().err


def test_half_written_log_line_stale_partials_and_changed_options(tmp_path, domains):
    config = _tiny(domains)
    loop = LoopConfig(max_steps=3, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    run = tmp_path / "run"
    train_cyclegan(config, loop, run)
    with open(run / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 4, "loss_g')  # the process was killed mid-line
    (run / ".model.json.abc.partial").write_text("{")
    (run / "checkpoints" / ".last.pt.x.partial").write_bytes(b"half")
    longer = LoopConfig(**{**loop.__dict__, "max_steps": 4})
    train_cyclegan(config, longer, run, resume=True)
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4]
    assert not list(run.rglob("*.partial"))
    with pytest.raises(Exception, match=r"lambda_cycle \(10\.0 -> 5\.0\)"):
        train_cyclegan(_tiny(domains, lambda_cycle=5.0), longer, run, resume=True)


def cli_train(data: Path, run: Path, steps: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "translate.cli", "train", "--data", str(data), "--domains", "summer", "winter", "-o", str(run),
            "--ngf", "4", "--ndf", "4", "--n-blocks", "6", "--load-size", "28", "--crop-size", "24", "--pool-size", "3",
            "--max-steps", str(steps), "--log-every", "1", "--sample-every", "0", "--device", "cpu", *extra]


def wait_for_step(run: Path, step: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        metrics = run / "metrics.jsonl"
        if metrics.exists() and len(metrics.read_text().splitlines()) >= step:
            return
        time.sleep(0.05)
    raise AssertionError(f"training did not reach step {step}")


def test_sigterm_to_the_process_group_with_workers_saves_and_resumes_exactly(tmp_path, domains):
    """systemd, Slurm and Kubernetes signal the whole group: the workers must not die before the main process saves."""
    straight = subprocess.run(cli_train(domains, tmp_path / "straight", 25, "--workers", "2"), cwd=ROOT, capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr
    run = tmp_path / "stopped"
    process = subprocess.Popen(cli_train(domains, run, 25, "--workers", "2"), cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_step(run, 5, process)
    os.killpg(process.pid, signal.SIGTERM)
    err = process.communicate(timeout=120)[1]
    assert process.returncode == 130, err
    assert "Traceback" not in err and "killed by signal" not in err
    saved = load_checkpoint(run / "checkpoints" / "last.pt")["step"]
    assert saved >= 5
    resumed = subprocess.run(cli_train(domains, run, 25, "--workers", "2", "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert same_generators(tmp_path / "straight", run) == 0.0


def test_kill_9_at_random_moments_never_breaks_the_checkpoint(tmp_path, domains):
    straight = subprocess.run(cli_train(domains, tmp_path / "straight", 16, "--workers", "0"), cwd=ROOT, capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr
    run = tmp_path / "killed"
    for round_index, step in enumerate((3, 7, 11)):
        args = cli_train(domains, run, 16, "--workers", "0", "--checkpoint-every", "1") + (["--resume"] if round_index else [])
        process = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_step(run, step, process)
        time.sleep(0.01 * round_index)  # land in different phases of a step and of a checkpoint write
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] >= step - 1
    final = subprocess.run(cli_train(domains, run, 16, "--workers", "0", "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert same_generators(tmp_path / "straight", run) == 0.0
    assert not list(run.rglob("*.partial"))
