"""int8 CycleGAN exports: only the convolutions run on int8. Nothing is quantised at the input (rounding ties there
cost 34.9 dB and 32 levels), InstanceNorm's parameters and the output stay fp32 (quantised, they gave
DequantizeLinear shapes OpenCV 5 and WebGPU reject), and the graph runs in OpenCV's DNN module."""
import numpy as np
import onnx
import pytest
import torch

from common.core.config import config_to_dict
from common.weights.model_files import save_weights
from translate.cli import main as translate_main
from tests.helpers import make_image_folder
from translate.models import ResnetGenerator, ResnetGeneratorConfig


@pytest.fixture(scope="module")
def int8_graph(tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8_cyclegan")
    torch.manual_seed(0)
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=8, n_blocks=2, upsample="resize_conv", residual_output=True, input_skip=True,
                                                     input_skip_gain=10.0))
    save_weights(generator, folder / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    make_image_folder(folder / "calibration", count=8, size=(96, 96))
    assert translate_main(["export", str(folder / "g.safetensors"), "-o", str(folder / "g8.onnx"), "--int8", str(folder / "calibration"),
                           "--int8-keep"]) == 0
    return folder / "g8.onnx"


def test_only_convolutions_run_on_int8(int8_graph):
    graph = onnx.load(str(int8_graph)).graph
    producer = {output: node for node in graph.node for output in node.output}
    initialisers = {tensor.name for tensor in graph.initializer}
    from_dq = lambda name: name in producer and producer[name].op_type == "DequantizeLinear"  # noqa: E731
    image = graph.input[0].name
    assert not [node for node in graph.node if image in node.input and node.op_type == "QuantizeLinear"]  # no input quantisation
    assert not from_dq(graph.output[0].name)  # the output is computed in fp32
    int8_ops = {node.op_type for node in graph.node if node.op_type not in ("QuantizeLinear", "DequantizeLinear")
                and node.input and all(from_dq(name) for name in node.input[:2] if name)}
    assert int8_ops == {"Conv"}
    for node in graph.node:
        if node.op_type == "InstanceNormalization":
            assert all(name in initialisers or not from_dq(name) for name in node.input[1:])  # scale and bias stay fp32
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) > 0  # it is an int8 graph


def test_opencv_dnn_runs_the_int8_generator(int8_graph):
    cv2 = pytest.importorskip("cv2")
    import onnxruntime as ort

    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 32, 48)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(int8_graph))
    net.setInput(x)
    expected = ort.InferenceSession(str(int8_graph), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    assert np.abs(net.forward() - expected).max() < 0.05  # int8 kernels differ between runtimes by a level or so
