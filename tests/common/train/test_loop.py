"""The generic loop through the SR task with a tiny model: exact resume, interrupt handling, logs, DDP."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from common.core.errors import UserError
from common.train.loop import LoopConfig, TrainingInterrupted, fit, prepare_device
from common.weights.model_files import load_weights
from superres.data import SRTrainDataset
from superres.models import lr_shuffle_config, msrresnet_config
from superres.train import SRTrainConfig, build_sr_step, train_sr
from tests.helpers import make_image_folder

ROOT = Path(__file__).resolve().parents[3]


def _configs(data: Path, steps: int = 6) -> tuple[SRTrainConfig, LoopConfig]:
    config = SRTrainConfig(data=str(data), model=msrresnet_config(2, num_blocks=1, channels=8), hr_size=16, lr=1e-3)
    loop = LoopConfig(max_steps=steps, batch_size=2, log_every=1, checkpoint_every=0, sample_every=3, validate_every=0, ema_decay=0.9)
    return config, loop


def _train(config, loop, run_dir, resume=False, interrupt_at=None):
    device = prepare_device(loop)
    dataset = SRTrainDataset(config.data, config.hr_size, loop.seed)
    step, config = build_sr_step(config, loop, device)
    if interrupt_at is not None:
        original_run = step.run

        def run_then_signal(batch, index, autocast):
            logs = original_run(batch, index, autocast)
            if index + 1 == interrupt_at:
                signal.raise_signal(signal.SIGINT)  # as a user pressing Ctrl-C mid-run
            return logs

        step.run = run_then_signal
    fixed = torch.stack([dataset[10**12 + i] for i in range(2)])
    return fit(step, dataset, run_dir, loop, config, fixed_batch=fixed, resume=resume, device=device)


@pytest.mark.parametrize("workers", [0, 2])
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, workers):
    data = make_image_folder(tmp_path / "data")
    config, loop = _configs(data)
    loop = LoopConfig(**{**loop.__dict__, "num_workers": workers, "max_steps": 12})
    _train(config, loop, tmp_path / "straight")
    with pytest.raises(TrainingInterrupted) as info:
        _train(config, loop, tmp_path / "resumed", interrupt_at=7)
    assert info.value.step == 7 and info.value.checkpoint.is_file()
    _train(config, loop, tmp_path / "resumed", resume=True)

    straight, _ = load_weights(tmp_path / "straight" / "model.safetensors", "srresnet")
    resumed, _ = load_weights(tmp_path / "resumed" / "model.safetensors", "srresnet")
    for name in straight:
        assert torch.equal(straight[name], resumed[name]), name
    lines = [json.loads(line) for line in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == list(range(1, 13))
    straight_lines = [json.loads(line) for line in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    assert [l["loss_pixel"] for l in lines] == [l["loss_pixel"] for l in straight_lines]
    assert sorted(p.name for p in (tmp_path / "resumed" / "samples").iterdir()) == [f"step_{s:07d}.png" for s in (3, 6, 9, 12)]
    report = (tmp_path / "resumed" / "index.html").read_text()
    assert "samples/step_0000012.png" in report and "<polyline" in report and "loss_pixel" in report


def test_existing_run_is_not_overwritten_and_resume_checks_config(tmp_path):
    data = make_image_folder(tmp_path / "data")
    config, loop = _configs(data, steps=2)
    train_sr(config, loop, tmp_path / "run")
    with pytest.raises(UserError, match="--resume"):
        train_sr(config, loop, tmp_path / "run")
    changed = SRTrainConfig(data=config.data, model=config.model, hr_size=16, lr=5e-4)
    with pytest.raises(UserError, match=r"other options: lr \(0.001 -> 0.0005\)"):
        train_sr(changed, loop, tmp_path / "run", resume=True)
    with pytest.raises(UserError, match="checkpoint not found"):
        train_sr(config, loop, tmp_path / "other", resume=True)


def test_checkpoint_holds_only_plain_data(tmp_path):
    data = make_image_folder(tmp_path / "data")
    config, loop = _configs(data, steps=2)
    train_sr(config, loop, tmp_path / "run")
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 2 and set(state) >= {"nets", "optimizers", "schedulers", "ema", "rng", "loop_config", "task_config"}


def test_ddp_under_torchrun_gloo(tmp_path):
    data = make_image_folder(tmp_path / "data")
    script = tmp_path / "ddp_train.py"
    script.write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "from superres.train import SRTrainConfig, train_sr\n"
        "from superres.models import msrresnet_config\n"
        "from common.train.loop import LoopConfig\n"
        "import torch.distributed as dist, torch\n"
        "cfg = SRTrainConfig(data=%r, model=msrresnet_config(2, 1, 8), hr_size=16)\n"
        "train_sr(cfg, LoopConfig(max_steps=3, batch_size=2, log_every=1, sample_every=0, validate_every=0, checkpoint_every=0, device='cpu'), %r)\n"
        # The group must be gone when training returns, not left to interpreter exit: a rank leaving gloo's
        # threads to the teardown can abort with SIGABRT and fail a finished run (seen on CI).
        "assert not dist.is_initialized(), 'the process group outlived training'\n"
        % (str(ROOT), str(data), str(tmp_path / "run"))
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)],
        capture_output=True, text=True, timeout=240, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 3  # rank 0 alone writes


def test_loader_workers_still_stop_when_their_parent_asks(tmp_path):
    """Workers survive a group SIGTERM but must obey the parent's own SIGTERM: multiprocessing terminates daemonic
    workers at exit and then joins them, so a worker that ignored every SIGTERM hung the process for ever."""
    import subprocess
    import sys

    script = tmp_path / "exit_with_live_workers.py"
    script.write_text(
        "from torch.utils.data import DataLoader\n"
        "from common.train.loop import _worker_signal_handling\n"
        "loader = DataLoader(list(range(100)), batch_size=2, num_workers=2, worker_init_fn=_worker_signal_handling)\n"
        "KEPT = iter(loader)\n"
        "next(KEPT)\n"
    )
    run = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_the_eta_line_and_the_early_samples():
    from common.train.loop import early_sample_due, run_eta_line

    line = run_eta_line(3, 6.0, 1800)
    assert line.startswith("2.00 s/step on this machine: about 1 h 0 min for the 1800 steps left (done about ")
    assert "about 10 s for the 20 steps left" in run_eta_line(3, 1.5, 20)
    assert [s for s in range(1, 600) if early_sample_due(s, 500)] == [25, 50, 100, 200]
    assert [s for s in range(1, 600) if early_sample_due(s, 60)] == [25, 50]
    assert not any(early_sample_due(s, 0) for s in range(300))  # sampling off stays off


def test_a_checkpoint_from_before_an_option_existed_still_matches():
    from dataclasses import dataclass, field

    from common.train.loop import saved_with_new_defaults

    @dataclass(frozen=True)
    class Inner:
        width: int = 8
        added: str = "same-as-before"

    @dataclass(frozen=True)
    class Task:
        data: str
        inner: Inner = field(default_factory=Inner)
        new_option: bool = False

    saved = {"data": "d", "inner": {"width": 8}, "retired_option": "conv5_4"}
    assert saved_with_new_defaults(saved, Task("d")) == {"data": "d", "inner": {"width": 8, "added": "same-as-before"}, "new_option": False}
    assert saved_with_new_defaults(saved, Task("d", new_option=True))["new_option"] is False  # a changed option still shows
