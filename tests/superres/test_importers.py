"""Released SR checkpoints (Real-ESRGAN, BasicSR, ESRGAN) load exactly, by library and CLI, and fail clearly."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from common.core.errors import UserError
from common.io.images import read_image
from superres.cli import main
from superres.importers import import_sr_checkpoint
from superres.pretrained import load_sr_model
from superres.rrdbnet import RRDBNet, RRDBNetConfig
from superres.upscaler import Upscaler
from tests.helpers_checkpoints import constructor_argument, fixtures, keys_full_sections, write_released_layout

SR_FIXTURES = [
    "realesrgan_rrdbnet_x4_nf16_nb2_gc8", "realesrgan_rrdbnet_x2_nf16_nb2_gc8", "realesrgan_srvgg_x4_nf16_nc4_prelu",
    "basicsr_msrresnet_x4_nf16_nb2", "basicsr_msrresnet_x2_nf16_nb2", "basicsr_msrresnet_x3_nf16_nb2",
]


def fixture_input() -> torch.Tensor:
    pixels = read_image(fixtures() / "input_37x53.png")
    return torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255


@pytest.mark.parametrize("name", SR_FIXTURES)
def test_library_matches_the_reference_float_output(name):
    model, meta = load_sr_model(fixtures() / f"{name}.pth")
    expected = np.load(fixtures() / f"{name}.out.npy")
    with torch.no_grad():
        actual = model(fixture_input()).numpy()  # RRDBNet x2 pads the odd input itself, as RealESRGANer does
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= 1e-5
    assert meta["scale"] == expected.shape[2] // 37


@pytest.mark.parametrize("name", SR_FIXTURES)
def test_cli_matches_the_reference_png(name, tmp_path):
    output = tmp_path / "out.png"
    code = main(["upscale", str(fixtures() / "input_37x53.png"), "--model", str(fixtures() / f"{name}.pth"),
                 "-o", str(output), "--tile", "16", "--device", "cpu"])
    assert code == 0
    diff = np.abs(read_image(output).astype(int) - read_image(fixtures() / f"{name}.out.png").astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.001


def test_import_command_converts_once_and_refuses_to_overwrite(tmp_path, capsys):
    source = fixtures() / "realesrgan_srvgg_x4_nf16_nc4_prelu.pth"
    assert main(["import", str(source), "-o", str(tmp_path / "general")]) == 0
    assert (tmp_path / "general.safetensors").is_file() and (tmp_path / "general.json").is_file()
    converted = Upscaler.from_pretrained(tmp_path / "general.safetensors", device="cpu", tile=0)
    direct = Upscaler.from_pretrained(source, device="cpu", tile=0)
    pixels = read_image(fixtures() / "input_37x53.png")
    np.testing.assert_array_equal(converted(pixels), direct(pixels))
    before = (tmp_path / "general.safetensors").read_bytes()
    assert main(["import", str(source), "-o", str(tmp_path / "general.safetensors")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "general.safetensors").read_bytes() == before


def sr_sections():
    return {name: section for name, section in keys_full_sections().items() if not name.startswith("junyanz")}


@pytest.mark.parametrize("name", ["realesrgan_rrdbnet_x4_nf64_nb23_gc32", "realesrgan_rrdbnet_x2_nf64_nb23_gc32",
                                  "realesrgan_srvgg_x4_nf64_nc32_prelu", "realesrgan_srvgg_x4_nf64_nc16_prelu",
                                  "basicsr_msrresnet_x4_nf64_nb16", "basicsr_msrresnet_x2_nf64_nb16", "basicsr_msrresnet_x3_nf64_nb16"])
def test_full_size_released_layouts_infer_the_released_config(name, tmp_path):
    section = sr_sections()[name]
    write_released_layout(section, tmp_path / "released.pth")
    model, meta = import_sr_checkpoint(tmp_path / "released.pth")
    config, constructor = meta["config"], section["constructor"]
    assert sum(p.numel() for p in model.parameters()) == sum(int(np.prod(s)) for s in section["shapes"].values())
    scale = int(constructor_argument(constructor, "scale" if "RRDBNet" in constructor else "upscale"))
    assert meta["scale"] == scale
    if "RRDBNet" in constructor:
        assert (config["num_blocks"], config["num_features"], config["growth"]) == (23, 64, 32)
    elif "SRVGG" in constructor:
        assert (config["num_convs"], config["num_features"], config["activation"]) == (int(constructor_argument(constructor, "num_conv")), 64, "prelu")
    else:
        assert (config["num_blocks"], config["channels"]) == (16, 64)


def test_module_prefix_and_params_fallback(tmp_path):
    model = RRDBNet(RRDBNetConfig(num_features=8, num_blocks=1, growth=4))
    state = {f"module.{key}": value for key, value in model.state_dict().items()}
    torch.save({"params": state, "iter": 5}, tmp_path / "ddp.pth")
    loaded, meta = import_sr_checkpoint(tmp_path / "ddp.pth")
    assert meta["source_format"] == "rrdbnet (params)"
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_params_ema_is_preferred(tmp_path):
    model = RRDBNet(RRDBNetConfig(num_features=8, num_blocks=1, growth=4))
    ema = {key: value + 1 for key, value in model.state_dict().items()}
    torch.save({"params": model.state_dict(), "params_ema": ema}, tmp_path / "both.pth")
    loaded, meta = import_sr_checkpoint(tmp_path / "both.pth")
    assert meta["source_format"] == "rrdbnet (params_ema)"
    assert torch.equal(loaded.conv_first.weight, ema["conv_first.weight"])


def test_original_esrgan_layout(tmp_path):
    """xinntao/ESRGAN's RRDB_ESRGAN_x4.pth names layers by Sequential index; the key map is explicit."""
    model = RRDBNet(RRDBNetConfig(num_features=8, num_blocks=2, growth=4))
    old = {}
    for key, value in model.state_dict().items():
        key = key.replace("conv_first.", "model.0.").replace("conv_body.", "model.1.sub.2.").replace("conv_up1.", "model.3.")
        key = key.replace("conv_up2.", "model.6.").replace("conv_hr.", "model.8.").replace("conv_last.", "model.10.")
        parts = key.split(".")
        if parts[0] == "body":  # body.<b>.rdb<k>.conv<j>.weight -> model.1.sub.<b>.RDB<k>.conv<j>.0.weight
            key = f"model.1.sub.{parts[1]}.RDB{parts[2][3:]}.{parts[3]}.0.{parts[4]}"
        old[key] = value
    torch.save(old, tmp_path / "RRDB_ESRGAN_x4.pth")
    loaded, meta = import_sr_checkpoint(tmp_path / "RRDB_ESRGAN_x4.pth")
    assert meta["source_format"].startswith("esrgan_old")
    image = torch.rand(1, 3, 9, 11)
    with torch.no_grad():
        assert torch.equal(loaded(image), model.eval()(image))


def test_compact_without_prelu_needs_arch(tmp_path, capsys):
    from superres.compact import CompactConfig, CompactSR

    model = CompactSR(CompactConfig(num_features=8, num_convs=2, activation="relu"))
    torch.save({"params": model.state_dict()}, tmp_path / "relu.pth")
    with pytest.raises(UserError, match="--arch compact_relu"):
        import_sr_checkpoint(tmp_path / "relu.pth")
    loaded, _ = import_sr_checkpoint(tmp_path / "relu.pth", arch="compact_relu")
    image = torch.rand(1, 3, 6, 7)
    with torch.no_grad():
        assert torch.equal(loaded(image), model.eval()(image))


def test_unrecognised_and_mismatched_files_give_one_line(tmp_path, capsys):
    torch.save({"params": {"encoder.weight": torch.zeros(3, 3)}}, tmp_path / "other.pth")
    (tmp_path / "broken.pth").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "text.pth").write_text("junk\n")
    truncated = tmp_path / "truncated.pth"
    torch.save({"params": RRDBNet(RRDBNetConfig(num_features=8, num_blocks=1, growth=4)).state_dict()}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:3000])
    image = tmp_path / "x.png"
    image.write_bytes((fixtures() / "input_36x52.png").read_bytes())
    for name, reason in [("other.pth", "architecture not recognised"), ("broken.pth", "a damaged PyTorch checkpoint"),
                         ("truncated.pth", "a damaged PyTorch checkpoint"),
                         ("text.pth", "not a PyTorch checkpoint (neither a zip archive nor a pickle)"), ("missing.pth", "model file not found")]:
        assert main(["upscale", str(image), "--model", str(tmp_path / name), "-o", str(tmp_path / "o.png")]) == 2
        err = capsys.readouterr().err
        assert f"{name}: {reason}" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    msr = fixtures() / "basicsr_msrresnet_x2_nf16_nb2.pth"
    assert main(["upscale", str(image), "--model", str(msr), "--arch", "rrdbnet", "-o", str(tmp_path / "o.png")]) == 2
    assert "does not match this file" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))  # would create the marker file if it were ever unpickled


def test_never_unpickles_arbitrary_objects(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"params": {"conv_first.weight": torch.zeros(1)}, "payload": Payload(str(marker))}, tmp_path / "evil.pth")
    with pytest.raises(UserError, match="refused to load"):
        load_sr_model(tmp_path / "evil.pth")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["realesrgan_rrdbnet_x2_nf16_nb2_gc8", "realesrgan_srvgg_x4_nf16_nc4_prelu"])
def test_onnx_export_of_an_imported_model_runs_tiled_like_torch(name, tmp_path):
    source = fixtures() / f"{name}.pth"
    assert main(["export", str(source), "-o", str(tmp_path / "m.onnx")]) == 0
    pixels = read_image(fixtures() / "input_37x53.png")
    torch_result = Upscaler.from_pretrained(source, device="cpu", tile=0)(pixels)
    onnx_result = Upscaler.from_onnx(tmp_path / "m.onnx", device="cpu", tile=15)(pixels)  # odd sizes, tiles
    assert np.abs(onnx_result.astype(int) - torch_result.astype(int)).max() <= 1


def test_int8_export_of_an_imported_model(tmp_path):
    from tests.helpers import make_image_folder

    calibration = make_image_folder(tmp_path / "calib", count=2, size=(72, 80))
    source = fixtures() / "realesrgan_srvgg_x4_nf16_nc4_prelu.pth"
    assert main(["export", str(source), "-o", str(tmp_path / "m8.onnx"), "--int8", str(calibration), "--int8-keep"]) == 0
    pixels = read_image(fixtures() / "input_37x53.png")
    result = Upscaler.from_onnx(tmp_path / "m8.onnx", device="cpu", tile=0)(pixels)
    reference = read_image(fixtures() / "realesrgan_srvgg_x4_nf16_nc4_prelu.out.png")
    error = (result.astype(float) - reference) ** 2
    assert 10 * np.log10(255**2 / error.mean()) > 30  # int8 of a random network: close, not equal
