"""`export --input-size HxW`: a fixed-size graph for runtimes without dynamic shapes (OpenCV DNN here), which the
ONNX consumers run on windows of exactly that size and which still gives the dynamic graph's image."""
import numpy as np
import onnx
import pytest

from common.io.images import read_image, write_image
from common.tiling.fixed_window import cut_window, fixed_window
from export.fixed_size import check_input_size, parse_input_size
from export.runtime import OnnxSession
from superres.cli import main
from translate.cli import main as translate_main


@pytest.fixture(scope="module")
def graphs(sr_model_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fixed")
    assert main(["export", str(sr_model_file), "-o", str(folder / "dynamic.onnx")]) == 0
    assert main(["export", str(sr_model_file), "-o", str(folder / "fixed.onnx"), "--input-size", "24x32"]) == 0
    return folder


def _dims(value_info):
    return [dim.dim_value if dim.HasField("dim_value") else dim.dim_param for dim in value_info.type.tensor_type.shape.dim]


def test_the_graph_has_one_static_shape_and_says_so(graphs):
    model = onnx.load(str(graphs / "fixed.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert _dims(model.graph.input[0]) == [1, 3, 24, 32] and _dims(model.graph.output[0]) == [1, 3, 48, 64]
    session = OnnxSession(graphs / "fixed.onnx", device="cpu")
    assert session.input_size == (24, 32) and session.document["input_size"] == [24, 32]
    assert OnnxSession(graphs / "dynamic.onnx", device="cpu").input_size is None


@pytest.mark.parametrize("size", [(45, 70), (24, 32), (13, 9)])
def test_the_cli_runs_it_in_windows_and_gets_the_dynamic_graphs_image(graphs, tmp_path, size):
    pixels = np.random.default_rng(size[0]).integers(0, 256, (*size, 3), dtype=np.uint8)
    write_image(tmp_path / "in.png", pixels)
    for name in ("dynamic", "fixed"):
        assert main(["upscale", str(tmp_path / "in.png"), "--model", str(graphs / f"{name}.onnx"), "-o", str(tmp_path / f"{name}.png")]) == 0
    dynamic, fixed = (read_image(tmp_path / f"{name}.png").astype(int) for name in ("dynamic", "fixed"))
    assert fixed.shape == dynamic.shape == (size[0] * 2, size[1] * 2, 3)
    if size[0] >= 24 and size[1] >= 32:
        assert np.abs(fixed - dynamic).max() <= 1  # windows moved inside the image: the same image
    else:
        # Smaller than the window: padded by edge replication, so only the far border can differ.
        inner = np.abs(fixed - dynamic)[: size[0] * 2 - 16, : size[1] * 2 - 16]
        assert inner.max() <= 1


def test_opencv_dnn_runs_the_fixed_graph_like_onnxruntime(graphs):
    cv2 = pytest.importorskip("cv2")
    x = np.random.default_rng(0).random((1, 3, 24, 32), dtype=np.float32)
    net = cv2.dnn.readNetFromONNX(str(graphs / "fixed.onnx"))
    net.setInput(x)
    expected = OnnxSession(graphs / "fixed.onnx", device="cpu").run_array(x)
    assert np.abs(net.forward() - expected).max() < 1e-4


def test_bad_sizes_and_combinations_are_refused_in_one_line(sr_model_file, tmp_path, capsys):
    for value, message in (("1x", "expected HEIGHTxWIDTH"), ("0x16", "must be 1 to 4096"), ("10", "at least 17 (its context is 8")):
        assert main(["export", str(sr_model_file), "-o", str(tmp_path / "x.onnx"), "--input-size", value]) != 0
        error = capsys.readouterr().err.strip()
        assert message in error and len(error.splitlines()) == 1, error
    assert main(["export", str(sr_model_file), "-o", str(tmp_path / "x.onnx"), "--input-size", "32", "--int8", str(tmp_path)]) != 0
    assert "--input-size with --int8" in capsys.readouterr().err
    assert translate_main(["export", str(tmp_path), "-o", str(tmp_path / "g.onnx"), "--input-size", "64"]) != 0
    assert "translation graphs are exported with dynamic shapes only" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.onnx*"))


def test_parsing_and_windows():
    assert parse_input_size("256x192") == (256, 192) and parse_input_size("64") == (64, 64)
    check_input_size((24, 32), 8, 1)
    with pytest.raises(Exception, match="multiples of 4"):
        check_input_size((30, 32), 8, 4)
    # A window is moved inside the image, never clipped; it runs past only an image smaller than itself.
    assert fixed_window((0, 0, 8, 16), 8, 45, 70, (24, 32)) == (0, 0, 24, 32)
    assert fixed_window((40, 64, 45, 70), 8, 45, 70, (24, 32)) == (21, 38, 45, 70)
    assert fixed_window((8, 16, 16, 32), 8, 45, 70, (24, 32)) == (0, 8, 24, 40)
    assert fixed_window((0, 0, 5, 5), 8, 5, 5, (24, 32)) == (0, 0, 24, 32)
    image = np.arange(25, dtype=np.uint8).reshape(5, 5, 1)
    patch = cut_window(image, (0, 0, 7, 6))
    assert patch.shape == (7, 6, 1) and (patch[5:, :5] == image[4:5, :5]).all() and (patch[:5, 5] == image[:, 4]).all()
