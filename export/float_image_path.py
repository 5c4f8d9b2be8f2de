"""Keeping the image-range signal of an int8 graph in float, so 16-bit images keep their depth.

The static quantiser puts a QuantizeLinear/DequantizeLinear pair on every tensor, also on those that carry the
image itself: the input's upsampled skip path (Resize), the PixelShuffle output (DepthToSpace) and the graph
output. Rounding those to 256 levels posterised 16-bit results (about 220 distinct levels per channel) and cost
8-bit ones up to a level; the convolutions, where int8 pays, keep their pairs.
"""
from __future__ import annotations

import onnx

IMAGE_RANGE_PRODUCERS = ("Resize", "DepthToSpace")


def keep_image_path_in_float(model: onnx.ModelProto) -> int:
    """Remove, in place, the Q/DQ pairs on the graph input, on outputs of :data:`IMAGE_RANGE_PRODUCERS` and on the
    graph output; returns how many pairs went."""
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    graph_inputs = {value.name for value in graph.input}
    graph_outputs = {value.name for value in graph.output}
    removed, dropped = 0, set()
    for quantize in list(graph.node):
        if quantize.op_type != "QuantizeLinear":
            continue
        source = quantize.input[0]
        dequantizers = consumers.get(quantize.output[0], [])
        if not dequantizers or any(d.op_type != "DequantizeLinear" for d in dequantizers):
            continue
        producer = producers.get(source)
        on_image = source in graph_inputs or (producer is not None and producer.op_type in IMAGE_RANGE_PRODUCERS)
        if not on_image and not any(d.output[0] in graph_outputs for d in dequantizers):
            continue
        for dequantize in dequantizers:
            _reroute(graph, dequantize.output[0], source, producer, graph_outputs)
            dropped.add(id(dequantize))
        dropped.add(id(quantize))
        removed += 1
    kept = [node for node in graph.node if id(node) not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    _drop_unused_initializers(graph)
    return removed


def _drop_unused_initializers(graph: onnx.GraphProto) -> None:
    """The removed pairs' scales and zero points (onnxruntime warns about each, OpenCV may refuse them)."""
    used = {name for node in graph.node for name in node.input} | {value.name for value in graph.output}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _reroute(graph: onnx.GraphProto, old: str, new: str, producer: onnx.NodeProto | None, graph_outputs: set[str]) -> None:
    """Make every reader of ``old`` read ``new``; a graph output named ``old`` is produced under that name instead."""
    if old in graph_outputs and producer is not None:
        for index, name in enumerate(producer.output):
            if name == new:
                producer.output[index] = old
        for node in graph.node:
            for index, name in enumerate(node.input):
                if name == new:
                    node.input[index] = old
        return
    for node in graph.node:
        for index, name in enumerate(node.input):
            if name == old:
                node.input[index] = new
