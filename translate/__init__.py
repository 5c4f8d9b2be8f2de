"""CycleGAN unpaired image-to-image translation: models, trainer, junyanz importer, ``Translator`` API.

The public names are imported on first use (PEP 562), so ``translate`` on the ONNX path starts without torch.
"""
from __future__ import annotations

from importlib import import_module

_PUBLIC = {"ResnetGenerator": "translate.models", "ResnetGeneratorConfig": "translate.models", "Translator": "translate.translator",
           "import_cyclegan_generator": "translate.importers"}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'translate' has no attribute {name!r}")
