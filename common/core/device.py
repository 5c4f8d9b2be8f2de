"""Device choice: ``auto`` picks cuda, then mps, then cpu."""
from __future__ import annotations

import torch

from common.core.errors import UserError


def resolve_device(name: str = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda|cuda:i|mps`` into a torch.device, with a clear error when it is absent."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise UserError(f"--device {name}: not a device name ({exc})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise UserError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) present")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"--device {name}: MPS is not available on this machine")
    return device


def limit_cpu_threads(threads: int) -> None:
    """Cap PyTorch's intra-op CPU threads (0 keeps the default, one per core), e.g. to share a machine."""
    if threads < 0:
        raise UserError(f"--threads {threads}: expected 0 (one per core) or a positive count")
    if threads:
        torch.set_num_threads(threads)
