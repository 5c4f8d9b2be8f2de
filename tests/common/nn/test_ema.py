import torch
from torch import nn

from common.nn.ema import EMA


def test_ema_warms_up_then_averages():
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    ema = EMA(model, decay=0.999)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model, step=0)  # warm-up decay 0.1: shadow moves 90% of the way
    assert ema.shadow.weight.item() == torch.tensor(0.9).item()
    for step in range(1, 5000):
        ema.update(model, step)
    assert abs(ema.shadow.weight.item() - 1.0) < 1e-3
    assert not any(p.requires_grad for p in ema.shadow.parameters())
