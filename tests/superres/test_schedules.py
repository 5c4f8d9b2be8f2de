"""SR learning-rate schedules: the cosine ends at 1%, and a run extended with a larger --max-steps never climbs
back up torch's next cosine period."""
import json

import pytest
import torch

from common.train.loop import LoopConfig
from superres.models import lr_shuffle_config
from superres.schedules import cosine_factor, cosine_scheduler
from superres.train import SRTrainConfig, train_sr
from tests.helpers import make_image_folder


def test_cosine_factor_ends_at_the_floor_and_stays_there():
    assert cosine_factor(0, 10) == 1.0
    assert cosine_factor(5, 10) == pytest.approx(0.505)
    assert cosine_factor(10, 10) == cosine_factor(25, 10) == pytest.approx(0.01)


def test_cosine_scheduler_never_rises():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = cosine_scheduler(optimizer, 10)
    rates = []
    for _ in range(16):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert all(b <= a for a, b in zip(rates, rates[1:])) and rates[-1] == pytest.approx(0.01)


def test_extended_run_follows_the_longer_schedule(tmp_path):
    data = make_image_folder(tmp_path / "hr", count=3, size=(40, 40))
    config = SRTrainConfig(data=str(data), model=lr_shuffle_config(4, num_blocks=1, channels=8), hr_size=16, lr=1.0)
    loop = LoopConfig(max_steps=4, batch_size=2, device="cpu", checkpoint_every=2, log_every=1, sample_every=0, validate_every=0, ema_decay=0)
    train_sr(config, loop, tmp_path / "run")
    train_sr(config, LoopConfig(**{**loop.__dict__, "max_steps": 8}), tmp_path / "run", resume=True)
    rates = [json.loads(line)["lr"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines() if '"lr"' in line]
    assert len(rates) == 8
    # From step 4 on, the rate of an 8-step cosine: it rises once (from the 4-step run's end) and then only falls.
    assert rates[4:] == pytest.approx([cosine_factor(step, 8) for step in range(5, 9)])
    assert rates[-1] == pytest.approx(0.01)


def test_checkpoints_of_the_former_cosine_scheduler_still_resume():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    former = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
    for _ in range(3):
        optimizer.step()
        former.step()
    scheduler = cosine_scheduler(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), 10)
    scheduler.load_state_dict(former.state_dict())
    assert scheduler.last_epoch == 3 and scheduler.get_last_lr() == pytest.approx(former.get_last_lr())
