"""Architectures our importers do not know run through spandrel and then our engine: the result equals
spandrel's own forward pass, tiles equal the whole image within the stated overlap, a grey 1x denoiser works,
and what spandrel cannot take is one clear line."""
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

spandrel = pytest.importorskip("spandrel")

from common.io.images import read_image, write_image  # noqa: E402
from superres.cli import main  # noqa: E402
from superres.engine import load_upscaler  # noqa: E402


def _swinir():
    from spandrel.architectures.SwinIR import SwinIR

    return SwinIR(upscale=2, in_chans=3, img_size=16, window_size=4, img_range=1.0, depths=[2], embed_dim=12, num_heads=[2],
                  mlp_ratio=2, upsampler="pixelshuffledirect", resi_connection="1conv")


def _hat():
    from spandrel.architectures.HAT import HAT

    return HAT(upscale=2, in_chans=3, img_size=16, window_size=4, compress_ratio=3, squeeze_factor=3, conv_scale=0.01,
               overlap_ratio=0.5, img_range=1.0, depths=[2], embed_dim=12, num_heads=[2], mlp_ratio=2, upsampler="pixelshuffle",
               resi_connection="1conv")


def _dat():
    from spandrel.architectures.DAT import DAT

    return DAT(upscale=2, in_chans=3, img_size=16, img_range=1.0, split_size=[2, 4], depth=[2], embed_dim=30, num_heads=[2],
               expansion_factor=2, resi_connection="1conv", upsampler="pixelshuffle")


def _span():
    from spandrel.architectures.SPAN import SPAN

    return SPAN(num_in_ch=3, num_out_ch=3, feature_channels=12, upscale=2)


def _omnisr():
    from spandrel.architectures.OmniSR import OmniSR

    return OmniSR(num_in_ch=3, num_out_ch=3, num_feat=16, block_num=1, pe=True, window_size=4, res_num=1, up_scale=2, bias=True)


def _ditn():
    from spandrel.architectures.DITN import DITN

    return DITN(inp_channels=3, dim=12, ITL_blocks=1, SAL_blocks=1, UFONE_blocks=1, ffn_expansion_factor=2, bias=False,
                LayerNorm_type="WithBias", patch_size=8, upscale=2)


BUILDERS = {"SwinIR": _swinir, "HAT": _hat, "DAT": _dat, "SPAN": _span, "OmniSR": _omnisr, "DITN": _ditn}


def _saved(tmp_path, build, name, as_safetensors=False):
    torch.manual_seed(0)
    state = build().eval().state_dict()
    path = tmp_path / (f"{name}.safetensors" if as_safetensors else f"{name}.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, str(path)) if as_safetensors else torch.save(state, path)
    return path, state


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_upscale_equals_spandrels_own_forward_and_tiles_equal_the_whole(name, tmp_path):
    path, state = _saved(tmp_path, BUILDERS[name], name, as_safetensors=name == "SPAN")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (28, 36, 3), dtype=np.uint8)
    write_image(tmp_path / "in.png", pixels)
    assert main(["upscale", str(tmp_path / "in.png"), "--model", str(path), "--tile", "0", "-o", str(tmp_path / "out.png"), "--device", "cpu"]) == 0
    descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    with torch.no_grad():
        theirs = descriptor(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255)
    theirs = (theirs[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
    ours = read_image(tmp_path / "out.png")
    assert ours.shape == (56, 72, 3) and np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    tiled = load_upscaler(str(path), device="cpu", tile=16).upscale_array(pixels)  # 32 pixels of context per tile
    assert np.abs(tiled.astype(int) - ours.astype(int)).max() <= 2


def test_a_grey_1x_denoiser_runs_on_colour_and_grey_images(tmp_path, capsys):
    from spandrel.architectures.DnCNN import DnCNN

    path, _ = _saved(tmp_path, lambda: DnCNN(in_nc=1, out_nc=1, nc=16, nb=4, mode="C"), "dncnn")
    rng = np.random.default_rng(1)
    write_image(tmp_path / "colour.png", rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
    write_image(tmp_path / "grey.png", rng.integers(0, 256, (20, 24, 1), dtype=np.uint8))
    for name in ("colour", "grey"):
        assert main(["upscale", str(tmp_path / f"{name}.png"), "--model", str(path), "-o", str(tmp_path / f"{name}_dn.png"), "--device", "cpu"]) == 0
    assert "a grey model (DnCNN)" in capsys.readouterr().err
    colour = read_image(tmp_path / "colour_dn.png")
    assert colour.shape == (20, 24, 3) and (colour[..., 0] == colour[..., 1]).all()  # grey out, as the model makes it
    assert read_image(tmp_path / "grey_dn.png").shape[:2] == (20, 24)


def test_unknown_keys_and_import_are_one_line(tmp_path, capsys):
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    write_image(tmp_path / "in.png", np.zeros((8, 8, 3), np.uint8))
    assert main(["upscale", str(tmp_path / "in.png"), "--model", str(tmp_path / "other.pth"), "-o", str(tmp_path / "o.png")]) == 2
    assert "architecture not recognised, by our importers or spandrel (keys look like encoder.weight" in capsys.readouterr().err
    path, _ = _saved(tmp_path, _span, "span")
    assert main(["import", str(path), "-o", str(tmp_path / "span_copy")]) == 2
    assert "runs from this file as it is" in capsys.readouterr().err


def test_a_spandrel_model_exports_to_a_verified_onnx_that_upscales_alike(tmp_path):
    path, _ = _saved(tmp_path, _span, "span")
    assert main(["export", str(path), "-o", str(tmp_path / "span.onnx")]) == 0
    pixels = np.random.default_rng(2).integers(0, 256, (20, 28, 3), dtype=np.uint8)
    torch_result = load_upscaler(str(path), device="cpu").upscale_array(pixels)
    onnx_result = load_upscaler(str(tmp_path / "span.onnx"), device="cpu").upscale_array(pixels)
    assert np.abs(torch_result.astype(int) - onnx_result.astype(int)).max() <= 1
