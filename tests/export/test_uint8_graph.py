"""`superres export --io uint8`: an image-in, image-out graph (uint8 RGBA in and out, grey/alpha/rounding inside) that
gives the CLI's image, verified before it is written."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from common.io.images import read_image, write_image
from export import uint8_graph
from superres.cli import main


@pytest.fixture(scope="module")
def graphs(sr_model_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("uint8")
    assert main(["export", str(sr_model_file), "-o", str(folder / "float.onnx")]) == 0
    assert main(["export", str(sr_model_file), "-o", str(folder / "uint8.onnx"), "--io", "uint8"]) == 0
    return folder


def test_the_graph_takes_and_returns_rgba_pixels(graphs):
    model = onnx.load(str(graphs / "uint8.onnx"))
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(str(graphs / "uint8.onnx"), providers=["CPUExecutionProvider"])
    (image,), (output,) = session.get_inputs(), session.get_outputs()
    assert image.type == output.type == "tensor(uint8)" and image.shape[2] == 4
    out = session.run(None, {"image": np.zeros((5, 7, 4), np.uint8)})[0]
    assert out.shape == (10, 14, 4) and out.dtype == np.uint8
    document = __import__("json").loads((graphs / "uint8.onnx.json").read_text())
    assert document["io"] == "uint8" and document["layout"] == "HWC" and document["whole_image"] is True and document["tiles_exact"] is False


@pytest.mark.parametrize("channels", [3, 4, 1, 2])
def test_the_cli_on_the_uint8_graph_writes_the_float_graphs_image(graphs, tmp_path, channels):
    yy, xx = np.mgrid[0:33, 0:47]
    pixels = np.stack([(xx * 5) % 256, (yy * 7) % 256, (xx + 3 * yy) % 256, np.clip(255 - xx * 6, 0, 255)], axis=2).astype(np.uint8)
    pixels = {1: pixels[..., :1], 2: pixels[..., 2:], 3: pixels[..., :3], 4: pixels}[channels]
    write_image(tmp_path / "in.png", pixels)
    for name in ("float", "uint8"):
        assert main(["upscale", str(tmp_path / "in.png"), "--model", str(graphs / f"{name}.onnx"), "-o", str(tmp_path / f"{name}.png")]) == 0
    float_out, uint8_out = (read_image(tmp_path / f"{name}.png").astype(int) for name in ("float", "uint8"))
    assert uint8_out.shape == float_out.shape == (66, 94, channels)
    assert np.abs(uint8_out - float_out).max() <= 1


def test_refusals_are_one_line_and_leave_nothing(sr_model_file, graphs, tmp_path, capsys, monkeypatch):
    for extra in (["--fp16"], ["--int8", str(tmp_path)], ["--input-size", "64"]):
        assert main(["export", str(sr_model_file), "-o", str(tmp_path / "x.onnx"), "--io", "uint8", *extra]) != 0
        assert "--io uint8: an fp32 graph of dynamic size only" in capsys.readouterr().err
    write_image(tmp_path / "deep.png", np.full((8, 8, 3), 40000, np.uint16))
    assert main(["upscale", str(tmp_path / "deep.png"), "--model", str(graphs / "uint8.onnx"), "-o", str(tmp_path / "o.png")]) != 0
    assert "takes 8-bit images only" in capsys.readouterr().err
    # A graph that disagrees with the CLI's engine is not written.
    real = uint8_graph.worst_level_difference
    monkeypatch.setattr(uint8_graph, "worst_level_difference", lambda path, reference, **options: {**real(path, reference, **options), "forced": 2})
    assert main(["export", str(sr_model_file), "-o", str(tmp_path / "bad.onnx"), "--io", "uint8"]) != 0
    assert "differs from the CLI by more than 1 level" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.png"]


@pytest.mark.parametrize("size", [(33, 47), (5, 3)])
def test_a_translation_uint8_graph_pads_inside_and_gives_the_float_graphs_image(tmp_path, size):
    import torch

    from common.core.config import config_to_dict
    from common.weights.model_files import save_weights
    from translate.cli import main as translate_main
    from translate.models import ResnetGenerator, ResnetGeneratorConfig

    torch.manual_seed(0)
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv", residual_output=True, input_skip=True,
                                                     input_skip_gain=10.0))
    save_weights(generator, tmp_path / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    for io in ("float", "uint8"):
        assert translate_main(["export", str(tmp_path / "g.safetensors"), "-o", str(tmp_path / f"{io}.onnx"), "--io", io]) == 0
    session = ort.InferenceSession(str(tmp_path / "uint8.onnx"), providers=["CPUExecutionProvider"])
    assert session.run(None, {"image": np.zeros((13, 10, 4), np.uint8)})[0].shape == (13, 10, 4)  # any size of 8 or more
    pixels = np.random.default_rng(1).integers(0, 256, (*size, 4), dtype=np.uint8)
    write_image(tmp_path / "in.png", pixels)
    for io in ("float", "uint8"):
        assert translate_main(["run", "--model", str(tmp_path / f"{io}.onnx"), str(tmp_path / "in.png"), "-o", str(tmp_path / f"{io}.png")]) == 0
    float_out, uint8_out = (read_image(tmp_path / f"{io}.png").astype(int) for io in ("float", "uint8"))
    assert uint8_out.shape == float_out.shape == (*size, 4)
    if min(size) >= 8:  # smaller images are edge-padded to 8 by the reader, not reflected by the graph
        assert np.abs(uint8_out - float_out).max() <= 1
    assert (uint8_out[..., 3] == pixels[..., 3]).all()  # alpha passes through
