"""Super-resolution: SRResNet/MSRResNet generators, the SR trainer and the ``Upscaler`` API."""
from superres.models import SRResNet, SRResNetConfig, lr_shuffle_config, msrresnet_config, srresnet_paper_config
from superres.upscaler import Upscaler

__all__ = ["SRResNet", "SRResNetConfig", "Upscaler", "lr_shuffle_config", "msrresnet_config", "srresnet_paper_config"]
