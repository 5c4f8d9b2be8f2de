"""Making converted ONNX graphs valid by the spec, not only loadable by onnxruntime.

onnxruntime's fp16 converter appends its input Casts after the nodes that use them and leaves float32 type
annotations on tensors it made float16, and the quantiser declares opset domains the graph never uses; onnxruntime tolerates both, ``onnx.checker`` and OpenCV's DNN module do not.
"""
from __future__ import annotations

import onnx


def topologically_sorted(model: onnx.ModelProto) -> onnx.ModelProto:
    """Reorder ``model.graph.node`` so that every node comes after the producers of its inputs (stable: the
    original order is kept wherever it is already valid).

    Raises:
        ValueError: the graph has a cycle or an input nobody produces.
    """
    graph = model.graph
    available = {value.name for value in graph.input} | {init.name for init in graph.initializer} | {""}
    available |= {init.name for init in graph.sparse_initializer}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        ready = [node for node in pending if all(name in available for name in node.input)]
        if not ready:
            missing = sorted({name for node in pending for name in node.input if name not in available})
            raise ValueError(f"graph cannot be ordered: no producer for {', '.join(missing[:3])}")
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        ready_ids = {id(node) for node in ready}
        pending = [node for node in pending if id(node) not in ready_ids]
    del graph.node[:]
    graph.node.extend(ordered)
    return model


def drop_stale_value_info(model: onnx.ModelProto) -> onnx.ModelProto:
    """Remove the intermediate type annotations (optional in ONNX): after an fp16 conversion some still say
    float32 where the tensor is now float16, which full shape inference rejects."""
    del model.graph.value_info[:]
    return model


def drop_unused_opsets(model: onnx.ModelProto) -> onnx.ModelProto:
    """Keep only the opset imports of domains some node uses (the default domain always stays)."""
    used = {node.domain or "" for node in model.graph.node} | {""}
    for function in model.functions:
        used |= {node.domain or "" for node in function.node} | {function.domain}
    kept = [opset for opset in model.opset_import if (opset.domain or "") in used]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    return model


def check_valid(model: onnx.ModelProto, what: str) -> None:
    """``onnx.checker.check_model(full_check=True)``.

    Raises:
        ValueError: naming ``what`` and the checker's first line.
    """
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ValueError(f"{what}: not a valid ONNX graph ({str(exc).strip().splitlines()[0][:200]})") from None
