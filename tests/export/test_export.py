"""ONNX export, verification, runtime errors, backend parity and the torch-free example."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.io.images import read_image, write_image
from common.weights.model_files import save_weights
from export import onnx_export
from export.int8_choice import Int8Policy
from export.runtime import OnnxSession
from superres.cli import main
from superres.onnx import export_sr_model
from tests.helpers import make_image_folder

KEEP_INT8 = Int8Policy(keep=True)  # these tests check the int8 graph itself, whatever it measures on a random network

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def onnx_file(sr_model_file):
    path = sr_model_file.parent / "tiny.onnx"
    report = export_sr_model(str(sr_model_file), path)
    assert report.worst <= 1e-4 and len(report.max_abs_diff) == 4
    return path


def test_single_file_with_metadata_and_dynamic_shapes(onnx_file):
    assert not Path(str(onnx_file) + ".data").exists()
    model = onnx.load(str(onnx_file))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["task"] == "superres" and meta["scale"] == "2" and meta["channel_order"] == "RGB"
    assert meta["input_range"] == "0,1" and "num_blocks" in meta["config"] and meta["precision"] == "fp32"
    assert model.opset_import[0].version >= 17
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert isinstance(dims[0], str) and dims[1] == 3 and isinstance(dims[2], str) and isinstance(dims[3], str)


def test_failed_verification_leaves_no_file(sr_model_file, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "FP32_TOLERANCE", 0.0)
    target = tmp_path / "m.onnx"
    with pytest.raises(onnx_export.ExportVerificationError, match="differs from PyTorch"):
        export_sr_model(str(sr_model_file), target)
    assert list(tmp_path.iterdir()) == []


def test_fp16_and_int8_exports_run(sr_model_file, tmp_path):
    export_sr_model(str(sr_model_file), tmp_path / "h.onnx", fp16=True)
    calib = make_image_folder(tmp_path / "calib", count=3, size=(72, 72))
    export_sr_model(str(sr_model_file), tmp_path / "q.onnx", int8_calibration=str(calib), int8_policy=KEEP_INT8)
    for name, precision in (("h.onnx", "fp16"), ("q.onnx", "int8")):
        session = OnnxSession(tmp_path / name, device="cpu", task="superres")
        assert session.metadata["precision"] == precision
        assert session.run_array(np.random.rand(1, 3, 9, 11).astype(np.float32)).shape == (1, 3, 18, 22)


def test_bad_onnx_files(onnx_file, tmp_path):
    truncated = tmp_path / "t.onnx"
    truncated.write_bytes(onnx_file.read_bytes()[:500])
    with pytest.raises(UserError, match="not a loadable ONNX model"):
        OnnxSession(truncated)
    foreign = onnx.load(str(onnx_file))
    del foreign.metadata_props[:]
    onnx.save(foreign, str(tmp_path / "foreign.onnx"))
    with pytest.raises(UserError, match="not a gansuite ONNX model"):
        OnnxSession(tmp_path / "foreign.onnx")
    with pytest.raises(UserError, match="for 'superres', not 'translate'"):
        OnnxSession(onnx_file, task="translate")
    with pytest.raises(UserError, match=r"expects \(B, 3, H, W\)"):
        OnnxSession(onnx_file).run_array(np.zeros((1, 4, 8, 8), dtype=np.float32))


def test_backends_give_the_same_images(onnx_file, sr_model_file, tmp_path, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(40, 36)) / "img00.png"
    assert main(["upscale", str(source), "-o", str(tmp_path / "t.png"), "--model", str(sr_model_file), "--tile", "16"]) == 0
    assert main(["upscale", str(source), "-o", str(tmp_path / "o.png"), "--model", str(onnx_file), "--backend", "onnx", "--tile", "16"]) == 0
    difference = np.abs(read_image(tmp_path / "t.png").astype(int) - read_image(tmp_path / "o.png").astype(int))
    assert difference.max() <= 1
    assert main(["upscale", str(source), "--model", str(sr_model_file), "--backend", "onnx"]) == 2
    assert "needs an .onnx file" in capsys.readouterr().err


def test_threads_option_reaches_both_engines(onnx_file, sr_model_file, tmp_path, monkeypatch, capsys):
    import torch

    from export.runtime import OnnxSession

    seen = {}
    original_init = OnnxSession.__init__

    def recording_init(self, *args, **kwargs):
        seen["onnx_threads"] = kwargs.get("threads")
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(OnnxSession, "__init__", recording_init)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: seen.setdefault("torch_threads", n))
    source = make_image_folder(tmp_path / "in", count=1, size=(20, 20)) / "img00.png"
    assert main(["upscale", str(source), "-o", str(tmp_path / "o.png"), "--model", str(onnx_file), "--threads", "1"]) == 0
    assert seen == {"onnx_threads": 1}  # the ONNX path does not touch torch
    assert main(["upscale", str(source), "-o", str(tmp_path / "t.png"), "--model", str(sr_model_file), "--threads", "1"]) == 0
    assert seen == {"onnx_threads": 1, "torch_threads": 1}
    with pytest.raises(SystemExit) as stop:
        main(["upscale", str(source), "--model", str(sr_model_file), "--threads", "-2"])
    assert stop.value.code == 2 and "argument --threads: must be >= 0 (got -2)" in capsys.readouterr().err


def test_export_cli_refuses_overwrite_and_bad_names(sr_model_file, onnx_file, capsys):
    assert main(["export", str(sr_model_file), "-o", str(onnx_file)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["export", str(sr_model_file), "-o", str(onnx_file.with_suffix(".bin"))]) == 2
    assert "must end in .onnx" in capsys.readouterr().err


def test_every_precision_is_a_valid_onnx_graph_with_a_sidecar(sr_model_file, tmp_path):
    """fp16 used to fail the checker (Casts after their users); int8 declared unused opset domains."""
    import json

    from export.graph_tidy import check_valid
    from export.metadata import sidecar_path

    calibration = make_image_folder(tmp_path / "calib", count=2, size=(72, 72))
    files = {"fp32": tmp_path / "m.onnx", "fp16": tmp_path / "m16.onnx", "int8": tmp_path / "m8.onnx"}
    export_sr_model(str(sr_model_file), files["fp32"])
    export_sr_model(str(sr_model_file), files["fp16"], fp16=True)
    report = export_sr_model(str(sr_model_file), files["int8"], int8_calibration=str(calibration), int8_policy=KEEP_INT8)
    assert report.psnr >= 30 and report.max_level_diff >= 0
    for precision, path in files.items():
        model = onnx.load(str(path))
        check_valid(model, precision)
        assert {o.domain for o in model.opset_import} <= {"", "ai.onnx", "com.microsoft"}, precision
        used = {n.domain or "" for n in model.graph.node} | {""}
        assert all((o.domain or "") in used for o in model.opset_import), precision
        assert model.graph.doc_string and model.graph.input[0].doc_string and model.graph.output[0].doc_string
        sidecar = json.loads(sidecar_path(path).read_text())
        meta = {p.key: p.value for p in model.metadata_props}
        assert sidecar["precision"] == precision == meta["precision"]
        assert sidecar["scale"] == 2 and sidecar["input_range"] == [0, 1] and sidecar["clamp_output"] is True
        assert sidecar["tile_overlap"] == sidecar["receptive_radius"] > 0 and sidecar["input_name"] == model.graph.input[0].name
        assert sidecar["feature_bytes_per_pixel"] > 0  # what --tile auto sizes tiles by
        assert "grey" in sidecar["grey_input"] and "alpha" in sidecar and isinstance(sidecar["config"], dict)


def test_onnx_path_never_imports_torch(onnx_file, tmp_path):
    """`superres upscale --model x.onnx` and both `--help`s run with torch made unimportable."""
    source = make_image_folder(tmp_path / "in", count=1, size=(20, 18)) / "img00.png"
    blocked = "import sys; sys.modules['torch'] = None; "
    commands = [
        blocked + f"from superres.cli import main; sys.exit(main(['upscale', {str(source)!r}, '--model', {str(onnx_file)!r}, '-o', {str(tmp_path / 'o.png')!r}]))",
        blocked + "from superres.cli import main; main(['--help'])",
        blocked + "from translate.cli import main; main(['--help'])",
        blocked + "from superres.cli import main; main(['upscale', '--help'])",
    ]
    for code in commands:
        run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    assert read_image(tmp_path / "o.png").shape == (40, 36, 3)


@pytest.mark.parametrize("channels, alpha", [(3, "bicubic"), (1, "bicubic"), (4, "bicubic"), (2, "bicubic"), (4, "model"), (2, "model")])
def test_torch_free_onnx_upscaler_equals_the_torch_one(onnx_file, channels, alpha):
    from export.onnx_upscaler import OnnxUpscaler
    from superres.upscaler import Upscaler

    pixels = np.random.default_rng(channels).integers(0, 256, (37, 29, channels), dtype=np.uint8)
    fast = OnnxUpscaler(onnx_file, device="cpu", tile=16, alpha_upsampler=alpha).upscale_array(pixels)
    reference = Upscaler.from_onnx(onnx_file, device="cpu", tile=16, alpha_upsampler=alpha).upscale_array(pixels)
    assert fast.shape == reference.shape == (74, 58, channels)
    np.testing.assert_array_equal(fast[..., :3], reference[..., :3])
    # Alpha too: both engines follow the documents' alpha_rule (OpenCV bicubic); the torch one used a MATLAB-style
    # kernel and was 19 levels off on noise.
    assert np.abs(fast.astype(int) - reference.astype(int)).max() <= (1 if alpha == "model" else 0)


def test_torch_free_translate_onnx_path(tmp_path):
    """`translate run --model x.onnx` with torch unimportable, equal to the torch-based Translator on the same file."""
    from translate.models import ResnetGenerator, ResnetGeneratorConfig
    from translate.onnx import export_translate_model
    from translate.translator import Translator

    from export.onnx_translator import OnnxTranslator

    torch.manual_seed(0)  # the default preset's generator: residual output and input skip in the graph
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv", residual_output=True, input_skip=True,
                                                     input_skip_gain=10.0))
    save_weights(generator, tmp_path / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    export_translate_model(tmp_path / "g.safetensors", None, tmp_path / "g.onnx")
    for channels, size, tile in ((3, (37, 29), 0), (4, (50, 70), 32), (1, (5, 3), 0)):
        pixels = np.random.default_rng(channels).integers(0, 256, (*size, channels), dtype=np.uint8)
        fast = OnnxTranslator(tmp_path / "g.onnx", device="cpu", tile=tile, overlap=8).translate_array(pixels)
        reference = Translator.from_onnx(tmp_path / "g.onnx", device="cpu", tile=tile, overlap=8).translate_array(pixels)
        np.testing.assert_array_equal(fast, reference)
    write_image(tmp_path / "in.png", np.zeros((20, 24, 3), np.uint8))
    code = ("import sys; sys.modules['torch'] = None; from translate.cli import main; "
            f"sys.exit(main(['run', '--model', {str(tmp_path / 'g.onnx')!r}, {str(tmp_path / 'in.png')!r}, '-o', {str(tmp_path / 'o.png')!r}]))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert read_image(tmp_path / "o.png").shape == (20, 24, 3)


def test_onnx_auto_tiles_equal_the_whole_image(onnx_file):
    from common.tiling.auto_tile import TileBudget
    from export.onnx_upscaler import OnnxUpscaler

    pixels = np.random.default_rng(1).integers(0, 256, (61, 47, 3), dtype=np.uint8)
    auto = OnnxUpscaler(onnx_file, device="cpu", tile="auto")
    auto._budget = TileBudget(3 * 64 * 900, None, 3 * 64, 64)  # room for 900-pixel tiles: a grid
    assert auto.tiles_for(61, 47) != (0, 0)
    np.testing.assert_array_equal(auto.upscale_array(pixels), OnnxUpscaler(onnx_file, device="cpu", tile=0).upscale_array(pixels))
