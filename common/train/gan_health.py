"""Stop a GAN stage that has failed instead of training on: a loss that is no longer finite, or a discriminator
that wins (or loses) everywhere for a long stretch of steps, after which its gradients teach the generator
nothing. The last checkpoint is kept either way, so a new run can start from it with other settings."""
from __future__ import annotations

import math
from dataclasses import dataclass

from common.core.errors import UserError

PINNED_HIGH, PINNED_LOW = 0.99, 0.01


class GANTrainingFailed(UserError):
    pass


def check_finite_losses(step: int, losses: dict[str, float]) -> None:
    """Raises :class:`GANTrainingFailed` naming every loss that is NaN or infinite at ``step``."""
    bad = [name for name, value in losses.items() if not math.isfinite(value)]
    if bad:
        raise GANTrainingFailed(
            f"step {step}: {', '.join(bad)} is not finite; the GAN stage diverged and was stopped before this step changed "
            "any weights; the last checkpoint and model are kept. Start a new run with --init on this one and a lower --lr or "
            "--adversarial-weight"
        )


@dataclass
class DiscriminatorWatch:
    """Counts consecutive steps with D's accuracy pinned at one end; raises after ``patience`` of them.

    Its two counters are part of the run's state (``state_dict``), so a resumed run stops where an uninterrupted
    one would.
    """

    patience: int = 2000
    pinned_steps: int = 0
    pinned_side: int = 0  # +1 D wins everywhere, -1 D loses everywhere, 0 neither

    def update(self, step: int, accuracy: float) -> None:
        side = 1 if accuracy >= PINNED_HIGH else -1 if accuracy <= PINNED_LOW else 0
        self.pinned_steps = self.pinned_steps + 1 if side and side == self.pinned_side else int(bool(side))
        self.pinned_side = side
        if self.patience and self.pinned_steps >= self.patience:
            what = "separates real from fake perfectly" if side > 0 else "calls real and fake the other way round"
            raise GANTrainingFailed(
                f"step {step}: the discriminator {what} for {self.pinned_steps} steps in a row (accuracy {accuracy:.3f}); "
                "its gradient no longer guides the generator. Stopped; the last checkpoint and model are kept. Start a new "
                "run with --init on this one and a lower --lr-d, or --gan-patience 0 to train on regardless"
            )

    def state_dict(self) -> dict[str, int]:
        return {"pinned_steps": self.pinned_steps, "pinned_side": self.pinned_side}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.pinned_steps, self.pinned_side = int(state["pinned_steps"]), int(state["pinned_side"])
