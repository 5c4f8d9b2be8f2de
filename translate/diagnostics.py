"""How a CycleGAN run is going, from tensors the step already has: pure functions plus the warnings they imply.

Images are (B, C, H, W) in [-1, 1] as the generators see them; figures are reported on the [0, 1] scale.
"""
from __future__ import annotations

import torch

# Thresholds of the warnings, on averaged log records (not single steps).
COLLAPSE_CHANGE = 0.004  # mean |G(a) - a| below 0.4% of the range: the output is the input
INVERSION_CORRELATION = 0.0  # a translation should still follow its input's light and dark
WARMUP_STEPS = 200  # the first steps of a fresh run are noisy; say nothing before


def mean_change(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """Mean absolute difference between each input and its translation, on the [0, 1] scale."""
    return float((outputs.detach().float() - inputs.detach().float()).abs().mean() / 2)


def input_correlation(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """Mean over the batch of the Pearson correlation between input and output luminance.

    Near 1: structure and tones kept; near 0: content lost; negative: light and dark swapped (inverted colours).
    """
    weights = torch.tensor([0.299, 0.587, 0.114], device=inputs.device)[:, None, None] if inputs.shape[1] == 3 else None

    def luminance(x: torch.Tensor) -> torch.Tensor:
        x = x.detach().float()
        return ((x * weights).sum(1) if weights is not None else x.mean(1)).flatten(1)

    a, b = luminance(inputs), luminance(outputs)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    denominator = (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-8)
    return float(((a * b).sum(1) / denominator).mean())


def discriminator_accuracy(real_scores: torch.Tensor, fake_scores: torch.Tensor, gan_loss: str) -> tuple[float, float]:
    """Share of real and of fake patches the discriminator puts on the right side of its decision boundary
    (0.5 for lsgan's 0/1 targets, 0 for logits and critics)."""
    boundary = 0.5 if gan_loss == "lsgan" else 0.0
    return float((real_scores.detach() > boundary).float().mean()), float((fake_scores.detach() <= boundary).float().mean())


def training_warnings(record: dict[str, float], names: tuple[str, str]) -> list[str]:
    """Warning lines, each with what to try, for an averaged log record with ``change_*`` and ``corr_*`` keys."""
    if record.get("step", 0) < WARMUP_STEPS:
        return []
    a, b = names
    lines = []
    for direction in (f"{a}2{b}", f"{b}2{a}"):
        change, correlation = record.get(f"change_{direction}"), record.get(f"corr_{direction}")
        if change is not None and change < COLLAPSE_CHANGE:
            lines.append(f"{direction} has collapsed to the identity (mean change {100 * change:.2f}%): lower --identity, "
                         "check that the two domains really differ, or raise --lr")
        if correlation is not None and correlation < INVERSION_CORRELATION:
            lines.append(f"{direction} inverts its input (luminance correlation {correlation:.2f}): use the default preset "
                         "(residual output keeps content), or add --identity 0.5")
    return lines
