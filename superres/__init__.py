"""Super-resolution: SRResNet/MSRResNet, RRDBNet and SRVGGNetCompact generators, importers, the SR trainer and the
``Upscaler`` API.

The public names are imported on first use (PEP 562), so ``superres`` on the ONNX path starts without torch.
"""
from __future__ import annotations

from importlib import import_module

_PUBLIC = {
    "SRResNet": "superres.models", "SRResNetConfig": "superres.models", "lr_shuffle_config": "superres.models",
    "msrresnet_config": "superres.models", "srresnet_paper_config": "superres.models", "Upscaler": "superres.upscaler",
    "RRDBNet": "superres.rrdbnet", "RRDBNetConfig": "superres.rrdbnet", "CompactSR": "superres.compact",
    "CompactConfig": "superres.compact", "import_sr_checkpoint": "superres.importers", "load_upscaler": "superres.engine",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'superres' has no attribute {name!r}")
