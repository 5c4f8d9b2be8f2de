"""onnxruntime session wrapper: provider choice checked after creation, thread settings, gansuite metadata."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from common.core.console import log
from common.core.errors import UserError
from export.metadata import check_metadata
from export.model_document import check_agreement, checked_input_size, checked_int, checked_range, document_of

PREFERRED_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


def choose_providers(device: str = "auto") -> list[str]:
    """Providers to ask for: TensorRT, CUDA, CPU in that order among those installed (``cpu`` forces CPU)."""
    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    wanted = [p for p in PREFERRED_PROVIDERS if p in available]
    if device.startswith("cuda") and not any(p in available for p in PREFERRED_PROVIDERS[:2]):
        raise UserError(f"--device {device}: this onnxruntime has no CUDA provider (install onnxruntime-gpu instead of onnxruntime)")
    return wanted or ["CPUExecutionProvider"]


MAX_SCALE = 16  # sizes read from a file's metadata are bounded before anything is allocated for them
MAX_MULTIPLE_OF = 64


class OnnxSession:
    """A gansuite ONNX model ready to run.

    Args:
        path: the .onnx file.
        device: ``auto`` | ``cpu`` | ``cuda``; a silent fallback to CPU is reported.
        threads: intra-op threads (0: onnxruntime's default, one per core).
        task: expected task (``superres`` / ``translate``), checked against the metadata.

    Raises:
        UserError: missing/corrupt file, or not one of our models.
    """

    def __init__(self, path: str | os.PathLike, device: str = "auto", threads: int = 0, task: str | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"{self.path}: ONNX file not found")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        requested = choose_providers(device)
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=requested)
        except Exception as exc:  # onnxruntime raises its own exception types for corrupt files
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{self.path}: not a loadable ONNX model ({first_line[:200]})") from None
        self.providers = self.session.get_providers()
        if requested[0] != "CPUExecutionProvider" and self.providers[0] == "CPUExecutionProvider":
            log(f"[yellow]warning:[/] {self.path}: onnxruntime fell back to the CPU (asked for {requested[0]})")
        self.metadata = check_metadata(dict(self.session.get_modelmeta().custom_metadata_map), str(self.path), task)
        self.input = self.session.get_inputs()[0]
        self.input_channels = self.input.shape[1]
        self.input_dtype = np.float16 if "float16" in self.input.type else np.float32
        try:
            self.document = document_of(self.metadata, str(self.path))  # the one description every consumer reads
            self.input_range = checked_range(self.document["input_range"])
            self.output_range = checked_range(self.document["output_range"])
            self.scale = checked_int(self.document["scale"], "scale")
            self.multiple_of = checked_int(self.document.get("multiple_of", 1), "multiple_of")
            self.input_size = checked_input_size(self.document.get("input_size"))
            self.uint8_io = self.document.get("io") == "uint8"  # an image-in, image-out graph (export.uint8_graph)
            check_agreement(self.metadata, self.document, str(self.path))
        except (KeyError, ValueError) as exc:
            raise UserError(f"{self.path}: malformed gansuite metadata ({exc})") from None
        if not (1 <= self.scale <= MAX_SCALE and 1 <= self.multiple_of <= MAX_MULTIPLE_OF):
            # Checked before the probe run, whose input side is 8 x multiple_of: a forged value must not allocate.
            raise UserError(f"{self.path}: malformed gansuite metadata (scale {self.scale} must be 1..{MAX_SCALE}, "
                            f"multiple_of {self.multiple_of} must be 1..{MAX_MULTIPLE_OF})")
        self._check_scale_against_the_graph()

    def _check_scale_against_the_graph(self) -> None:
        """One tiny probe run: the metadata's scale must be what the graph does (else outputs would be misplaced)."""
        side, width = self.input_size or (8 * self.multiple_of, 8 * self.multiple_of)
        channels = self.input_channels if isinstance(self.input_channels, int) else 3
        low, high = self.input_range
        try:
            if self.uint8_io:
                height = self.session.run(None, {self.input.name: np.full((side, width, 4), 128, np.uint8)})[0].shape[0]
            else:
                height = self.run_array(np.full((1, channels, side, width), (low + high) / 2, dtype=np.float32)).shape[2]
        except Exception as exc:  # onnxruntime's own error types
            raise UserError(f"{self.path}: the graph fails on a {side}x{width} probe ({str(exc).strip().splitlines()[0][:160]})") from None
        if height != side * self.scale:
            raise UserError(f"{self.path}: metadata says scale {self.scale}, but the graph turns {side} pixels into {height}")

    def run_array(self, batch: np.ndarray) -> np.ndarray:
        """(B, C, H, W) float array in the model's input range -> its output as float32."""
        if batch.ndim != 4 or (isinstance(self.input_channels, int) and batch.shape[1] != self.input_channels):
            raise UserError(f"{self.path}: expects (B, {self.input_channels}, H, W) input, got shape {tuple(batch.shape)}")
        output = self.session.run(None, {self.input.name: batch.astype(self.input_dtype, copy=False)})[0]
        return output.astype(np.float32, copy=False)

    def run_unit(self, batch: np.ndarray) -> np.ndarray:
        """(B, C, H, W) float32 in [0, 1] -> the output mapped to [0, 1] (ranges from the metadata); no torch."""
        low, high = self.input_range
        out_low, out_high = self.output_range
        return (self.run_array(batch * np.float32(high - low) + np.float32(low)) - np.float32(out_low)) / np.float32(out_high - out_low)

    def __call__(self, tile):
        """Run a (B, C, H, W) torch tile given in [0, 1]; returns a torch tile in [0, 1] on the same device."""
        import torch

        return torch.from_numpy(self.run_unit(tile.detach().cpu().numpy())).to(tile.device)
