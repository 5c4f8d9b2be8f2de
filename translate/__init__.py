"""CycleGAN unpaired image-to-image translation: models, trainer, ``Translator`` API."""
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.translator import Translator

__all__ = ["ResnetGenerator", "ResnetGeneratorConfig", "Translator"]
