"""``superres`` CLI behaviour: naming, no overwriting, one clear line per bad file, exit codes."""
import json

import numpy as np
import pytest

from common.io.images import read_image, write_image
from superres.cli import main
from tests.helpers import make_image_folder


def test_folder_to_folder_with_bad_files(tmp_path, model_file, capsys):
    inputs = make_image_folder(tmp_path / "in", count=2, size=(12, 10))
    (inputs / "zero.png").write_bytes(b"")
    (inputs / "text.jpg").write_text("hello")
    code = main(["upscale", str(inputs), "-o", str(tmp_path / "out"), "--model", str(model_file), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img00_x2.png", "img01_x2.png"]
    assert read_image(tmp_path / "out" / "img00_x2.png").shape == (24, 20, 3)
    assert "zero.png: empty file" in err and "text.jpg: cannot read image" in err
    assert "Traceback" not in err


def test_single_output_file_and_no_overwrite(tmp_path, model_file, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(12, 10)) / "img00.png"
    target = tmp_path / "result.png"
    assert main(["upscale", str(source), "-o", str(target), "--model", str(model_file)]) == 0
    before = target.read_bytes()
    assert main(["upscale", str(source), "-o", str(target), "--model", str(model_file)]) == 0  # the same run again: done
    assert "1 already done, 0 new" in capsys.readouterr().err
    assert main(["upscale", str(source), "-o", str(target), "--model", str(model_file), "--outscale", "1"]) == 1  # other settings
    assert "already exists, not made from img00.png with these settings" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["upscale", str(source), "-o", str(target), "--model", str(model_file), "--overwrite", "--outscale", "1"]) == 0
    assert read_image(target).shape == (12, 10, 3)


def test_never_overwrites_the_input(tmp_path, model_file, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(12, 10)) / "img00.png"
    original = source.read_bytes()
    code = main(["upscale", str(source), "--model", str(model_file), "--suffix", "", "--overwrite"])
    assert code == 1 and "overwrite the input" in capsys.readouterr().err
    assert source.read_bytes() == original


def test_16bit_grey_rgba_through_the_cli(tmp_path, model_file):
    rng = np.random.default_rng(0)
    write_image(tmp_path / "deep.png", rng.integers(0, 65536, (10, 9, 1), dtype=np.uint16))
    write_image(tmp_path / "alpha.png", rng.integers(0, 256, (10, 9, 4), dtype=np.uint8))
    assert main(["upscale", str(tmp_path / "deep.png"), str(tmp_path / "alpha.png"), "-o", str(tmp_path / "o"), "--model", str(model_file)]) == 0
    deep, alpha = read_image(tmp_path / "o" / "deep_x2.png"), read_image(tmp_path / "o" / "alpha_x2.png")
    assert deep.dtype == np.uint16 and deep.shape == (20, 18, 1)
    assert alpha.shape == (20, 18, 4)


def test_decompression_bomb_flag(tmp_path, model_file, capsys):
    write_image(tmp_path / "big.png", np.zeros((40, 50, 3), dtype=np.uint8))
    assert main(["upscale", str(tmp_path / "big.png"), "--model", str(model_file), "--max-pixels", "1000"]) == 1
    assert "decompression bomb" in capsys.readouterr().err


def test_missing_and_wrong_models(tmp_path, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(12, 10)) / "img00.png"
    assert main(["upscale", str(source), "--model", str(tmp_path / "none.safetensors")]) == 2
    assert "model file not found" in capsys.readouterr().err
    (tmp_path / "bad.safetensors").write_bytes(b"garbage")
    assert main(["upscale", str(source), "--model", str(tmp_path / "bad.safetensors")]) == 2
    assert "not a readable safetensors" in capsys.readouterr().err


def test_eval_json_and_wrong_scale(tmp_path, model_file, capsys):
    data = make_image_folder(tmp_path / "hr", count=2, size=(24, 20))
    assert main(["eval", "--data", str(data), "--scale", "2", "--model", str(model_file), "--json", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert len(scores["images"]) == 2 and scores["mean"]["bicubic_psnr"] > 20
    assert main(["eval", "--data", str(data), "--scale", "4", "--model", str(model_file)]) == 2
    assert "x2 model, but --scale is 4" in capsys.readouterr().err


def test_train_cli_bad_options(tmp_path, capsys):
    data = make_image_folder(tmp_path / "d", count=1, size=(12, 10))
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "r"), "--stage", "gan"]) == 2
    assert "--init" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "r"), "--hr-size", "30"]) == 2
    assert "multiple of --scale" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r")]) == 2
    assert "training folder not found" in capsys.readouterr().err


def test_train_cli_pretrain_then_gan_needs_vgg(tmp_path, capsys):
    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / "pre"
    args = ["train", "--data", str(data), "--out", str(run), "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--max-steps", "3", "--device", "cpu"]
    assert main(args) == 0
    assert (run / "model.safetensors").is_file() and (run / "model.json").is_file()
    assert json.loads((run / "model.json").read_text())["training_data"] == "d"  # the folder's name, never its path
    assert main(["export", str(run), "-o", str(tmp_path / "pre.onnx")]) == 0
    assert json.loads((tmp_path / "pre.onnx.json").read_text())["training_data"] == "d"
    gan = ["train", "--data", str(data), "--out", str(tmp_path / "gan"), "--scale", "2", "--stage", "gan", "--init", str(run),
           "--hr-size", "16", "--max-steps", "2", "--vgg-weights", str(tmp_path / "absent.pth")]
    assert main(gan) == 2
    assert "absent.pth: VGG weights file not found" in capsys.readouterr().err


@pytest.mark.parametrize("arch, scale", [("rrdbnet", 2), ("compact", 4)])
def test_train_the_imported_architectures_and_resume(arch, scale, tmp_path):
    from superres.upscaler import Upscaler

    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / arch
    args = ["train", "--data", str(data), "--out", str(run), "--scale", str(scale), "--arch", arch, "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--device", "cpu", "--checkpoint-every", "2"]
    assert main(args + ["--max-steps", "2"]) == 0
    assert main(args + ["--max-steps", "3", "--resume"]) == 0
    meta = json.loads((run / "model.json").read_text())
    assert meta["kind"] == {"rrdbnet": "rrdbnet", "compact": "srvgg_compact"}[arch] and meta["step"] == 3
    upscaler = Upscaler.from_pretrained(run, device="cpu")
    assert upscaler(np.zeros((5, 7, 3), np.uint8)).shape == (5 * scale, 7 * scale, 3)


def test_rrdbnet_refuses_x3(tmp_path, capsys):
    data = make_image_folder(tmp_path / "d", count=1, size=(40, 40))
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "r"), "--scale", "3", "--arch", "rrdbnet"]) == 2
    assert "RRDBNet is built for x1, x2 or x4" in capsys.readouterr().err


def test_default_model_runs_its_int8_export_on_a_cpu_without_torch(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from export.onnx_upscaler import OnnxUpscaler
    from superres.upscaler import Upscaler
    from superres.weights import int8_path

    root = Path(__file__).resolve().parents[2]
    source = make_image_folder(tmp_path / "in", count=1, size=(30, 26)) / "img00.png"
    code = ("import sys; sys.modules['torch'] = None; from superres.cli import main; "
            f"sys.exit(main(['upscale', {str(source)!r}, '-o', {str(tmp_path / 'int8.png')!r}, '--device', 'cpu']))")
    run = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    pixels = read_image(source)
    np.testing.assert_array_equal(read_image(tmp_path / "int8.png"), OnnxUpscaler(int8_path("default"), device="cpu").upscale_array(pixels))
    assert main(["upscale", str(source), "-o", str(tmp_path / "fp32.png"), "--device", "cpu", "--precision", "fp32"]) == 0
    fp32 = Upscaler.from_pretrained("default", device="cpu")(pixels)
    np.testing.assert_array_equal(read_image(tmp_path / "fp32.png"), fp32)
    assert np.abs(read_image(tmp_path / "int8.png").astype(int) - fp32.astype(int)).mean() < 1.0


def test_eval_lpips_metric(tmp_path, model_file, capsys):
    # Random VGG16 numbers and unit heads in the real files' layouts: checks the wiring and the table, not perception.
    import torch

    from common.backbones.vgg import truncated_features

    torch.save({f"features.{k}": v for k, v in truncated_features("vgg16", "pool5").state_dict().items()}, tmp_path / "vgg.pth")
    torch.save({f"lin{i}.model.1.weight": torch.ones(1, c, 1, 1) for i, c in enumerate((64, 128, 256, 512, 512))}, tmp_path / "heads.pth")
    data = make_image_folder(tmp_path / "hr", count=2, size=(40, 32))
    args = ["eval", "--data", str(data), "--scale", "2", "--model", str(model_file), "--json", str(tmp_path / "s.json")]
    assert main(args + ["--metrics", "psnr,ssim,lpips", "--lpips-weights", str(tmp_path / "heads.pth"), "--vgg-weights", str(tmp_path / "vgg.pth")]) == 0
    assert "LPIPS" in capsys.readouterr().err  # the shared console writes to stderr
    mean = json.loads((tmp_path / "s.json").read_text())["mean"]
    assert mean["lpips"] > 0 and mean["bicubic_lpips"] > 0
    assert main(args + ["--metrics", "psnr,lpips", "--lpips-weights", str(tmp_path / "absent.pth")]) == 2
    assert "absent.pth: LPIPS weights file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(args + ["--metrics", "psnr,fid"])
    assert "expected a comma-separated list of psnr, ssim, lpips" in capsys.readouterr().err


def test_eval_niqe_metric(tmp_path, model_file, capsys):
    # A made-up pristine model in the real file's layout: checks the wiring, not naturalness.
    window = np.outer(*[np.exp(-np.arange(-3, 4) ** 2 / (2 * (7 / 6) ** 2))] * 2)
    np.savez(tmp_path / "niqe.npz", mu_pris_param=np.zeros(36), cov_pris_param=np.eye(36), gaussian_window=window / window.sum())
    data = make_image_folder(tmp_path / "hr", count=1, size=(200, 200))
    args = ["eval", "--data", str(data), "--scale", "2", "--model", str(model_file), "--json", str(tmp_path / "s.json"),
            "--metrics", "psnr,niqe", "--niqe-params", str(tmp_path / "niqe.npz")]
    assert main(args) == 0
    mean = json.loads((tmp_path / "s.json").read_text())["mean"]
    assert mean["niqe"] > 0 and mean["bicubic_niqe"] > 0 and "lpips" not in mean
    small = make_image_folder(tmp_path / "small", count=1, size=(40, 40))
    assert main(args[:2] + [str(small)] + args[3:]) == 2
    assert "img00: NIQE needs at least two 96x96 blocks" in capsys.readouterr().err
