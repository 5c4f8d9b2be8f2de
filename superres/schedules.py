"""Learning-rate schedules of SR training as pure functions of the step and the run's length.

A run extended with ``--resume --max-steps N`` (larger than before) follows the schedule of an N-step run from
where it stands; torch's ``CosineAnnealingLR`` keeps the first run's length in its state and, past it, climbs
back up its next period (to half the rate after another half run).
"""
from __future__ import annotations

import math
from typing import Any

import torch

COSINE_FLOOR = 0.01  # the cosine ends at 1% of the initial rate


def cosine_factor(step: int, total_steps: int, floor: float = COSINE_FLOOR) -> float:
    """Rate multiplier at ``step`` of a ``total_steps`` cosine decay from 1 to ``floor``; ``floor`` past the end."""
    progress = min(step, total_steps) / max(total_steps, 1)
    return floor + (1.0 - floor) * (1.0 + math.cos(math.pi * progress)) / 2.0


class StepFunctionLR(torch.optim.lr_scheduler.LambdaLR):
    """``LambdaLR`` that restores the step counter of any earlier scheduler's checkpoint (the factor is rebuilt
    from the current run's settings, never read from the checkpoint)."""

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        kept = ("last_epoch", "base_lrs", "_last_lr", "_step_count", "_get_lr_called_within_step")
        super().load_state_dict({"lr_lambdas": [None] * len(self.lr_lambdas), **{k: state_dict[k] for k in kept if k in state_dict}})


def cosine_scheduler(optimizer: torch.optim.Optimizer, total_steps: int) -> StepFunctionLR:
    return StepFunctionLR(optimizer, lambda step: cosine_factor(step, total_steps))
