"""A model file on a CPU runs with whichever of torch and its cached ONNX graph measured faster."""
import json

import numpy as np
import pytest
import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.weights.model_files import save_weights
from export.onnx_upscaler import OnnxUpscaler
from superres import prepared_graph
from superres.engine import load_upscaler
from superres.models import SRResNet, msrresnet_config
from superres.upscaler import Upscaler


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    path = tmp_path / "tiny.safetensors"
    save_weights(model, path, "srresnet", config_to_dict(model.config))
    monkeypatch.setenv("GANSUITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(prepared_graph, "MIN_FILE_BYTES", 0)  # a tiny model stands in for a real one
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One real export of the tiny model (same seed, same weights), copied where a test's export would write."""
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    folder = tmp_path_factory.mktemp("exported")
    save_weights(model, folder / "tiny.safetensors", "srresnet", config_to_dict(model.config))
    from superres.onnx import export_sr_model

    export_sr_model(str(folder / "tiny.safetensors"), folder / "g.onnx")
    return folder / "g.onnx"


@pytest.fixture
def quick_export(exported, monkeypatch):
    import shutil

    def copy(spec, output, **kwargs):
        shutil.copyfile(exported, output)
        shutil.copyfile(f"{exported}.json", f"{output}.json")

    monkeypatch.setattr("superres.onnx.export_sr_model", copy)


def timed(monkeypatch, onnx_s, torch_s):
    calls = []
    monkeypatch.setattr(prepared_graph, "time_engines", lambda *args: calls.append(args) or (onnx_s, torch_s))
    return calls


def decisions(tmp_path):
    return [json.loads(path.read_text()) for path in (tmp_path / "cache" / "cpu_graphs").glob("*.json") if not path.name.endswith(".onnx.json")]


def test_faster_onnx_graph_is_prepared_once_and_gives_the_same_image(model_file, tmp_path, monkeypatch):
    calls = timed(monkeypatch, 0.5, 1.0)
    upscaler = load_upscaler(str(model_file), device="cpu", tile=0)
    assert isinstance(upscaler, OnnxUpscaler) and len(calls) == 1
    assert decisions(tmp_path)[0]["engine"] == "onnx"
    assert isinstance(load_upscaler(str(model_file), device="cpu", tile=0), OnnxUpscaler) and len(calls) == 1  # cached
    pixels = np.random.default_rng(0).integers(0, 256, (21, 17, 3), dtype=np.uint8)
    reference = load_upscaler(str(model_file), device="cpu", tile=0, backend="torch")
    assert isinstance(reference, Upscaler)
    assert np.abs(upscaler.upscale_array(pixels).astype(int) - reference.upscale_array(pixels).astype(int)).max() <= 1


def test_slower_onnx_keeps_torch_and_remembers(model_file, tmp_path, monkeypatch, quick_export):
    calls = timed(monkeypatch, 1.0, 1.02)  # within the noise: not worth switching
    assert isinstance(load_upscaler(str(model_file), device="cpu"), Upscaler)
    assert isinstance(load_upscaler(str(model_file), device="cpu"), Upscaler) and len(calls) == 1
    assert decisions(tmp_path)[0]["engine"] == "torch"
    assert not list((tmp_path / "cache" / "cpu_graphs").glob("*.onnx"))


def test_a_new_cpu_or_a_lost_graph_decides_again(model_file, tmp_path, monkeypatch, quick_export):
    calls = timed(monkeypatch, 0.5, 1.0)
    load_upscaler(str(model_file), device="cpu")
    monkeypatch.setattr(prepared_graph, "cpu_name", lambda: "another CPU")
    load_upscaler(str(model_file), device="cpu")
    assert len(calls) == 2
    for graph in (tmp_path / "cache" / "cpu_graphs").glob("*.onnx"):
        graph.unlink()
    assert isinstance(load_upscaler(str(model_file), device="cpu"), OnnxUpscaler) and len(calls) == 3


def test_damaged_decision_file_is_made_again(model_file, tmp_path, monkeypatch, quick_export):
    for damage in (b"{not json", b"[1, 2]", b'{"engine": "gpu"}', b"x" * 10_000):
        (tmp_path / "d.json").write_bytes(damage)
        assert prepared_graph.read_decision(tmp_path / "d.json") is None
    calls = timed(monkeypatch, 0.5, 1.0)
    load_upscaler(str(model_file), device="cpu")
    (decision,) = [p for p in (tmp_path / "cache" / "cpu_graphs").glob("*.json") if not p.name.endswith(".onnx.json")]
    decision.write_bytes(b"{not json")
    assert isinstance(load_upscaler(str(model_file), device="cpu"), OnnxUpscaler) and len(calls) == 2


def test_export_failure_runs_torch(model_file, tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise RuntimeError("Unsupported: an operator the exporter cannot trace\nmore detail")

    monkeypatch.setattr("superres.onnx.export_sr_model", fail)
    assert isinstance(load_upscaler(str(model_file), device="cpu"), Upscaler)
    assert "no ONNX graph (Unsupported: an operator the exporter cannot trace); running with torch" in capsys.readouterr().err
    assert decisions(tmp_path)[0]["reason"] == "export failed"


def test_not_prepared_for_torch_backend_small_files_or_bad_files(model_file, tmp_path, monkeypatch):
    calls = timed(monkeypatch, 0.5, 1.0)
    assert isinstance(load_upscaler(str(model_file), device="cpu", backend="torch"), Upscaler)
    monkeypatch.setattr(prepared_graph, "MIN_FILE_BYTES", 10**9)
    assert isinstance(load_upscaler(str(model_file), device="cpu"), Upscaler)
    assert calls == [] and not (tmp_path / "cache").exists()
    monkeypatch.setattr(prepared_graph, "MIN_FILE_BYTES", 0)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00" * 64)
    with pytest.raises(UserError, match="broken.safetensors"):
        load_upscaler(str(broken), device="cpu")
    assert calls == []


def test_timing_runs_both_engines(model_file, exported):
    onnx_s, torch_s = prepared_graph.time_engines(str(model_file), "auto", exported, threads=1, rounds=1)
    assert onnx_s > 0 and torch_s > 0


def test_prelu_networks_stay_on_torch_without_an_export(tmp_path, monkeypatch):
    from superres.compact import CompactConfig, CompactSR

    model = CompactSR(CompactConfig(num_features=16, num_convs=2))
    path = tmp_path / "compact.safetensors"
    save_weights(model, path, "srvgg_compact", config_to_dict(model.config))
    monkeypatch.setenv("GANSUITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(prepared_graph, "MIN_FILE_BYTES", 0)
    calls = timed(monkeypatch, 0.5, 1.0)
    assert isinstance(load_upscaler(str(path), device="cpu"), Upscaler) and calls == []
    assert "PReLU" in decisions(tmp_path)[0]["reason"]
    assert not list((tmp_path / "cache" / "cpu_graphs").glob("*.onnx"))
