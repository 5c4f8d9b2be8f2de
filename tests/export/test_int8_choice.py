"""An --int8 export writes fp32 where int8 is too far from fp32 or no faster, and says so in the metadata."""
import json

import onnx
import pytest

from export import quantize
from export.int8_choice import Int8Policy, int8_fallback_reason, time_graphs
from export.metadata import sidecar_path
from export.runtime import OnnxSession
from superres.cli import main
from superres.onnx import export_sr_model
from tests.helpers import make_image_folder


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("calib"), count=2, size=(72, 72))


def test_reasons():
    assert int8_fallback_reason(3, 0.5, 1.0, Int8Policy()) == ""
    assert "62 levels (bar 4)" in int8_fallback_reason(62, 0.5, 1.0, Int8Policy())
    assert "not faster" in int8_fallback_reason(2, 1.0, 1.02, Int8Policy())  # 2% is noise, not a gain
    assert int8_fallback_reason(62, 2.0, 1.0, Int8Policy(keep=True)) == ""
    assert int8_fallback_reason(62, None, None, Int8Policy(max_levels=255)) == ""


def quantize_nodes(path):
    return sum(node.op_type in ("QuantizeLinear", "DequantizeLinear") for node in onnx.load(str(path)).graph.node)


def test_too_far_from_fp32_writes_fp32_and_says_why(sr_model_file, calibration, tmp_path):
    output = tmp_path / "m8.onnx"
    report = export_sr_model(str(sr_model_file), output, int8_calibration=str(calibration), int8_policy=Int8Policy(max_levels=0))
    assert report.max_level_diff > 0 and report.precision == "fp32"
    meta = OnnxSession(output, device="cpu").metadata
    assert meta["precision"] == "fp32" and f"{report.max_level_diff} levels (bar 0)" in meta["int8_fallback"]
    assert json.loads(sidecar_path(output).read_text())["int8_fallback"] == meta["int8_fallback"]
    assert quantize_nodes(output) == 0
    assert all(seconds > 0 for seconds in time_graphs([output, output], (0.0, 1.0), 1, rounds=1))  # the probe really runs


def test_slower_int8_writes_fp32(sr_model_file, calibration, tmp_path, monkeypatch):
    monkeypatch.setattr(quantize, "time_graphs", lambda paths, *args: [1.0, 0.8])  # int8 1 s, fp32 0.8 s
    output = tmp_path / "m8.onnx"
    report = export_sr_model(str(sr_model_file), output, int8_calibration=str(calibration), int8_policy=Int8Policy(max_levels=255))
    assert report.precision == "fp32" and "not faster" in OnnxSession(output, device="cpu").metadata["int8_fallback"]


def test_faster_and_close_int8_is_kept(sr_model_file, calibration, tmp_path, monkeypatch):
    monkeypatch.setattr(quantize, "time_graphs", lambda paths, *args: [0.5, 1.0])
    output = tmp_path / "m8.onnx"
    report = export_sr_model(str(sr_model_file), output, int8_calibration=str(calibration), int8_policy=Int8Policy(max_levels=255))
    meta = OnnxSession(output, device="cpu").metadata
    assert report.precision == meta["precision"] == "int8" and "int8_fallback" not in meta and quantize_nodes(output) > 0


def test_cli_options(sr_model_file, calibration, tmp_path, capsys):
    assert main(["export", str(sr_model_file), "-o", str(tmp_path / "a.onnx"), "--int8-keep"]) == 2
    assert "apply to an --int8 export" in capsys.readouterr().err
    assert main(["export", str(sr_model_file), "-o", str(tmp_path / "b.onnx"), "--int8", str(calibration), "--int8-max-levels", "0"]) == 0
    assert "fp32 written instead of int8" in capsys.readouterr().err
    assert OnnxSession(tmp_path / "b.onnx", device="cpu").metadata["precision"] == "fp32"


def test_translation_is_judged_by_psnr_not_its_worst_pixel():
    """A trained CycleGAN's int8 graph is 42 dB from fp32 with a few pixels 13 levels off: the SR bar of 4 levels
    wrote fp32 for it (2.2 times slower here); translation exports now use a PSNR floor instead."""
    import argparse

    from export.int8_choice import TRANSLATION_MIN_PSNR, int8_policy_from_args

    args = argparse.Namespace(int8="calib/", int8_max_levels=None, int8_keep=False)
    policy = int8_policy_from_args(args, translation=True)
    assert int8_fallback_reason(13, 1.0, 2.2, policy, psnr=42.4) == ""
    assert int8_fallback_reason(13, 1.0, 2.2, policy, psnr=TRANSLATION_MIN_PSNR - 1) == f"int8 is {TRANSLATION_MIN_PSNR - 1:.1f} dB from fp32 (bar {TRANSLATION_MIN_PSNR:g} dB)"
    assert int8_fallback_reason(13, 1.0, 0.9, policy, psnr=42.4).startswith("int8 is not faster")
    assert int8_fallback_reason(13, 1.0, 2.2, int8_policy_from_args(args), psnr=42.4).startswith("int8 differs from fp32 by 13 levels")
    strict = int8_policy_from_args(argparse.Namespace(int8="calib/", int8_max_levels=4, int8_keep=False), translation=True)
    assert int8_fallback_reason(13, 1.0, 2.2, strict, psnr=42.4).startswith("int8 differs from fp32 by 13 levels (bar 4)")
