"""Hostile model files, second sweep: sizes checked before building, poisoned weights, garbage .pth files, ONNX
metadata that would allocate, and an opset the exporter cannot write. Each is one `error:` line naming the file or
option, a non-zero exit and nothing written."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from common.core.config import config_to_dict
from common.core.errors import UserError
from superres import cli as superres_cli
from superres.models import SRResNet, lr_shuffle_config
from tests.test_hostile_inputs import model, one_error_line, picture  # noqa: F401 (model is a fixture)


def forged(path: Path, state: dict[str, torch.Tensor] | None = None, **config_changes) -> Path:
    """A gansuite SR model file whose tensors (default: a tiny real model's) and config are what the test says."""
    torch.manual_seed(0)
    net = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    tensors = {k: v.contiguous() for k, v in (state or net.state_dict()).items()}
    meta = {"format": "gansuite", "kind": "srresnet", "config": {**config_to_dict(net.config), **config_changes}}
    save_file(tensors, path, metadata={"gansuite": json.dumps(meta)})
    return path


def test_a_config_asking_for_300000_blocks_is_refused_at_once(tmp_path, capsys):
    liar = forged(tmp_path / "liar.safetensors", num_blocks=300_000)
    started = time.perf_counter()
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", str(liar), "-o", str(tmp_path / "o.png")]) == 2
    assert time.perf_counter() - started < 30  # the old loader built 300,000 blocks on the meta device: minutes
    one_error_line(capsys.readouterr().err, "liar.safetensors: the config in the file is not buildable (num_blocks 300,000 is outside")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("field, value, why", [
    ("channels", 10**6, "channels 1,000,000 is outside the supported 1..1,024"),
    ("scale", 64, "scale 64 is outside the supported 1..8"),
    ("head_kernel", 999, "head_kernel 999 is outside"),
    ("num_blocks", "many", "num_blocks must be a whole number, got 'many'"),
])
def test_every_size_in_a_config_is_bounded(tmp_path, field, value, why):
    from superres.pretrained import load_sr_model

    with pytest.raises(UserError, match=why):
        load_sr_model(forged(tmp_path / "m.safetensors", **{field: value}))


def test_configs_built_in_python_are_bounded_too():
    from superres.compact import CompactConfig
    from superres.rrdbnet import RRDBNetConfig
    from translate.models import ResnetGeneratorConfig

    for build in (lambda: RRDBNetConfig(num_blocks=100_000), lambda: CompactConfig(num_convs=10**6), lambda: ResnetGeneratorConfig(ngf=0)):
        with pytest.raises(ValueError, match="is outside the supported"):
            build()


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path, capsys, poison):
    torch.manual_seed(0)
    state = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8)).state_dict()
    state["tail.0.bias"] = torch.full_like(state["tail.0.bias"], poison)
    bad = forged(tmp_path / "bad.safetensors", state)
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", str(bad), "-o", str(tmp_path / "o.png")]) == 2
    one_error_line(capsys.readouterr().err, "bad.safetensors: tensor tail.0.bias holds 12 NaN or infinite value(s)")
    assert not (tmp_path / "o.png").exists()


def test_a_foreign_pth_with_nan_weights_is_refused(tmp_path):
    from common.weights.foreign import read_foreign_state_dict

    torch.save({"params_ema": {"conv_first.weight": torch.tensor([1.0, float("nan")])}}, tmp_path / "x.pth")
    with pytest.raises(UserError, match=r"x.pth: tensor conv_first.weight holds 1 NaN"):
        read_foreign_state_dict(tmp_path / "x.pth")


def test_an_output_that_overflows_to_infinity_is_never_written(tmp_path, capsys):
    """Finite weights whose product overflows float32: clamped, the old code wrote a flat image and exited 0."""
    torch.manual_seed(0)
    state = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8)).state_dict()
    for name in ("head.0.weight", "post_residual.0.weight", "tail.0.weight"):
        state[name] = state[name] * 1e25
    path = forged(tmp_path / "huge.safetensors", state)
    source = picture(tmp_path / "a.png")
    assert superres_cli.main(["upscale", str(source), "--model", str(path), "-o", str(tmp_path / "o.png")]) == 1
    one_error_line(capsys.readouterr().err, "a.png: the model's output holds NaN or infinite values")
    assert not (tmp_path / "o.png").exists()


def test_the_onnx_tiles_refuse_non_finite_output():
    """The torch-free path (onnxruntime) meets the same check: an exported graph with damaged weights."""
    from common.tiling.grid import tiled_apply_numpy

    with pytest.raises(UserError, match="NaN or infinite"):
        tiled_apply_numpy(np.zeros((4, 4, 3), np.uint8), lambda x: np.full((1, 3, 8, 8), np.inf, np.float32), 2)


def test_the_blended_tiles_refuse_non_finite_output_too():
    from common.tiling.grid import blended_tiled_apply_numpy

    with pytest.raises(UserError, match="NaN or infinite"):
        blended_tiled_apply_numpy(np.zeros((40, 40, 3), np.uint8), lambda x: np.full_like(x, np.nan), tile=16, overlap=4)


@pytest.mark.parametrize("content, why", [
    (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "not a PyTorch checkpoint (neither a zip archive nor a pickle)"),
    (b"hello, I am a text file\n", "not a PyTorch checkpoint (neither a zip archive nor a pickle)"),
    (b"", "empty file (0 bytes)"),
    (b"\x80\x02garbage that is no pickle", "a damaged PyTorch checkpoint"),
])
def test_garbage_pth_says_what_it_is_not_and_what_is_accepted(tmp_path, capsys, content, why):
    bad = tmp_path / "model.pth"
    bad.write_bytes(content)
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", str(bad), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    one_error_line(err, f"model.pth: {why}")
    assert "expected a gansuite .safetensors model, or a .pth/.pt/.ckpt state dict" in err
    assert "KeyError" not in err and "\x1b[" not in err


def test_onnx_metadata_sizes_are_bounded_before_the_probe_allocates(tmp_path, model):  # noqa: F811
    import onnx

    from export.runtime import OnnxSession
    from tests.helpers import forge_metadata
    from superres.onnx import export_sr_model

    export_sr_model(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    forge_metadata(proto, multiple_of="1000000")  # the flat key and the document alike, as a forger would
    onnx.save(proto, str(tmp_path / "liar.onnx"))
    with pytest.raises(UserError, match=r"multiple_of 1000000 must be 1..64"):
        OnnxSession(tmp_path / "liar.onnx", device="cpu")


def test_an_opset_the_exporter_cannot_write_is_one_error_and_no_file(tmp_path, model, capsys):  # noqa: F811
    import onnx

    out = tmp_path / "m.onnx"
    assert superres_cli.main(["export", model, "-o", str(out), "--opset", "99"]) == 2
    err = capsys.readouterr().err
    one_error_line(err, f"--opset 99: gansuite exports opsets 17 to {onnx.defs.onnx_opset_version()}")
    assert not out.exists() and not Path(str(out) + ".json").exists()


def test_the_metadata_records_the_opset_written(tmp_path, model):  # noqa: F811
    import onnx

    out = tmp_path / "m.onnx"
    assert superres_cli.main(["export", model, "-o", str(out), "--opset", "17"]) == 0
    proto = onnx.load(str(out))
    written = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert written == 17 and meta["opset"] == "17" and json.loads((tmp_path / "m.onnx.json").read_text())["opset"] == 17


@pytest.mark.parametrize("key, value, message", [("tile_overlap", "abc", "tile_overlap 'abc' is not an integer"),
                                                 ("tile_overlap", "99999", "tile_overlap 99999 0..4096"),
                                                 ("tile_multiple", "0", "tile_multiple 0 must be 1..64"),
                                                 ("input_size", "[0, 5]", "input_size [0, 5] is not [height, width]")])
def test_onnx_tile_rules_from_the_document_are_checked(tmp_path, model, key, value, message):  # noqa: F811
    """The upscaler reads its tile rules from the model document; a forged one is one error line, not a traceback."""
    import onnx

    from export.onnx_upscaler import OnnxUpscaler
    from tests.helpers import forge_metadata
    from superres.onnx import export_sr_model

    export_sr_model(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    forge_metadata(proto, **{key: value})
    onnx.save(proto, str(tmp_path / "liar.onnx"))
    with pytest.raises(UserError, match=re.escape(message)):
        OnnxUpscaler(tmp_path / "liar.onnx", device="cpu")
