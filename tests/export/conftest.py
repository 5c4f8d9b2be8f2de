"""The tiny SR model file the export tests share."""
import pytest
import torch

from common.core.config import config_to_dict
from common.weights.model_files import save_weights
from superres.models import SRResNet, msrresnet_config


@pytest.fixture(scope="module")
def sr_model_file(tmp_path_factory):
    """A 2x SRResNet (2 blocks, 8 channels) saved as gansuite .safetensors, seed 0."""
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    path = tmp_path_factory.mktemp("m") / "tiny.safetensors"
    save_weights(model, path, "srresnet", config_to_dict(model.config))
    return path
