"""Fixtures shared by the superres tests."""
import pytest
import torch

from common.core.config import config_to_dict
from common.weights.model_files import save_weights
from superres.models import SRResNet, lr_shuffle_config


@pytest.fixture
def model_file(tmp_path):
    """A tiny x2 SRResNet saved as a gansuite .safetensors file."""
    torch.manual_seed(0)
    model = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    path = tmp_path / "tiny.safetensors"
    save_weights(model, path, "srresnet", config_to_dict(model.config))
    return path
