"""Generators saved by junyanz/pytorch-CycleGAN-and-pix2pix load exactly (9/6 blocks, legacy 0.3 files, batch norm,
dropout), by library and CLI, and everything else gives one clear line."""
import numpy as np
import pytest
import torch

from common.core.errors import UserError
from common.io.images import read_image
from translate.cli import main
from translate.importers import import_cyclegan_generator
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.translator import Translator
from tests.helpers_checkpoints import fixtures, keys_full_sections, to_reference_names, write_released_layout

JUNYANZ = [("junyanz_resnet9_ngf8_net_G.pth", "junyanz_resnet9_ngf8", 9),
           ("junyanz_resnet6_ngf8_net_G.pth", "junyanz_resnet6_ngf8", 6),
           ("junyanz_resnet6_ngf8_legacy_pt03_net_G.pth", "junyanz_resnet6_ngf8", 6)]


def reference_input() -> torch.Tensor:
    pixels = read_image(fixtures() / "input_36x52.png")
    return torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255 * 2 - 1


@pytest.mark.parametrize("checkpoint, expected, blocks", JUNYANZ)
def test_library_matches_the_reference_float_output(checkpoint, expected, blocks):
    model, meta = import_cyclegan_generator(fixtures() / checkpoint)
    assert (meta["config"]["n_blocks"], meta["config"]["ngf"], meta["config"]["norm"]) == (blocks, 8, "instance")
    with torch.no_grad():
        actual = model(reference_input()).numpy()
    assert np.abs(actual - np.load(fixtures() / f"{expected}.out.npy")).max() <= 1e-5


@pytest.mark.parametrize("checkpoint, expected, blocks", JUNYANZ)
def test_cli_matches_the_reference_png(checkpoint, expected, blocks, tmp_path):
    output = tmp_path / "out.png"
    assert main(["run", "--model", str(fixtures() / checkpoint), str(fixtures() / "input_36x52.png"), "-o", str(output), "--device", "cpu"]) == 0
    # The reference truncates ((x + 1) / 2 * 255) where gansuite rounds: at most one level apart.
    diff = read_image(output).astype(int) - read_image(fixtures() / f"{expected}.out.png").astype(int)
    assert diff.min() >= 0 and diff.max() <= 1


def test_import_command_and_translator_from_the_converted_file(tmp_path):
    source = fixtures() / "junyanz_resnet9_ngf8_net_G.pth"
    assert main(["import", str(source), "-o", str(tmp_path / "h2z")]) == 0
    pixels = read_image(fixtures() / "input_36x52.png")
    converted = Translator.from_checkpoint(tmp_path / "h2z.safetensors", device="cpu")(pixels)
    np.testing.assert_array_equal(converted, Translator.from_checkpoint(source, device="cpu")(pixels))


@pytest.mark.parametrize("name", ["junyanz_resnet9_ngf64", "junyanz_resnet6_ngf64", "junyanz_resnet9_ngf64_legacy_pt03"])
def test_full_size_released_layouts(name, tmp_path):
    section = keys_full_sections()[name]
    write_released_layout(section, tmp_path / "latest_net_G.pth")
    model, meta = import_cyclegan_generator(tmp_path / "latest_net_G.pth")
    assert (meta["config"]["ngf"], meta["config"]["n_blocks"]) == (64, 9 if "resnet9" in name else 6)
    assert sum(p.numel() for p in model.parameters()) == (11_378_179 if "resnet9" in name else 7_837_699)


@pytest.mark.parametrize("norm, dropout", [("batch", False), ("instance", True)])
def test_batch_norm_and_dropout_generators(norm, dropout, tmp_path):
    torch.manual_seed(4)
    model = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=2, norm=norm)).eval()
    if norm == "batch":
        for layer in model.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.uniform_(-0.1, 0.1)
                layer.running_var.uniform_(0.5, 1.5)
    torch.save(to_reference_names(model, dropout), tmp_path / "latest_net_G_A.pth")
    loaded, meta = import_cyclegan_generator(tmp_path / "latest_net_G_A.pth")
    assert meta["config"]["norm"] == norm
    image = torch.rand(1, 3, 16, 20) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded(image), model(image))


def test_not_a_resnet_generator(tmp_path, capsys):
    torch.save({"model.0.down.weight": torch.zeros(2)}, tmp_path / "unet_net_G.pth")
    with pytest.raises(UserError, match="not a CycleGAN ResnetGenerator checkpoint"):
        import_cyclegan_generator(tmp_path / "unet_net_G.pth")
    image = fixtures() / "input_36x52.png"
    assert main(["run", "--model", str(tmp_path / "unet_net_G.pth"), str(image), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "unet_net_G.pth: not a CycleGAN ResnetGenerator" in err and "Traceback" not in err
