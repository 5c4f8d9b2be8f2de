"""What a user trips on in the second hour, in files: 16-bit depth on every path, ICC profiles and EXIF, tRNS and
multi-frame inputs, tile progress, the training page, and two writers of one export or one run folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageCms

from common.io.images import read_image, write_image
from superres import cli as superres_cli
from tests.helpers import make_image_folder
from tests.test_hostile_inputs import model, one_error_line, picture  # noqa: F401 (model is a fixture)

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def gradient16(side: int = 24) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    return np.stack([xx * 2600 + yy * 13, yy * 2700, (xx + yy) * 1350], 2).astype(np.uint16)


@pytest.mark.parametrize("path_options", [["--device", "cpu"], ["--device", "cpu", "--precision", "fp32"], ["--model", "clean", "--device", "cpu"]])
def test_sixteen_bit_keeps_its_depth_on_every_embedded_path(tmp_path, path_options):
    """The shipped int8 graphs rounded their image path to 256 levels: about 220 distinct levels per channel."""
    source = tmp_path / "g.png"
    write_image(source, gradient16())
    assert superres_cli.main(["upscale", str(source), "-o", str(tmp_path / "o.png"), *path_options]) == 0
    result = read_image(tmp_path / "o.png")
    assert result.dtype == np.uint16 and min(len(np.unique(result[..., c])) for c in range(3)) > 2000


def test_sixteen_bit_keeps_its_depth_through_an_exported_int8_graph(tmp_path, model):  # noqa: F811
    calibration = make_image_folder(tmp_path / "calib", count=2, size=(64, 64))
    assert superres_cli.main(["export", model, "-o", str(tmp_path / "m.onnx"), "--int8", str(calibration), "--int8-keep"]) == 0
    source = tmp_path / "g.png"
    write_image(source, gradient16())
    assert superres_cli.main(["upscale", str(source), "--model", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "o.png")]) == 0
    result = read_image(tmp_path / "o.png")
    assert min(len(np.unique(result[..., c])) for c in range(3)) > 1000


def photo_with_metadata(path, orientation: int = 6):
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "Canon", orientation
    exif[0x8769] = {0x9003: "2024:05:01 10:00:00"}
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (10, 14, 3), dtype=np.uint8)).save(path, icc_profile=ICC, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "tif"])
def test_icc_profile_and_exif_are_kept_with_the_orientation_applied(tmp_path, model, ext):  # noqa: F811
    source = photo_with_metadata(tmp_path / f"p.{ext}")
    assert read_image(source).shape == (14, 10, 3)  # upright (a TIFF was rotated twice under Pillow 13)
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(tmp_path / "out")]) == 0
    with Image.open(tmp_path / "out" / f"p_x2.{ext}") as result:
        exif = result.getexif()
        assert result.size == (20, 28) and result.info.get("icc_profile") == ICC
        assert exif.get(0x010F) == "Canon" and exif.get(0x0112, 1) == 1
        assert exif.get_ifd(0x8769).get(0x9003) == "2024:05:01 10:00:00"


def test_strip_metadata_drops_them(tmp_path, model):  # noqa: F811
    source = photo_with_metadata(tmp_path / "p.jpg")
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(tmp_path / "o.jpg"), "--strip-metadata"]) == 0
    with Image.open(tmp_path / "o.jpg") as result:
        assert "icc_profile" not in result.info and result.getexif().get(0x010F) is None


def test_sixteen_bit_png_keeps_the_icc_profile_too(tmp_path, model):  # noqa: F811
    from common.io.metadata import ImageMetadata

    write_image(tmp_path / "g.png", gradient16(), metadata=ImageMetadata(icc_profile=ICC))
    assert superres_cli.main(["upscale", str(tmp_path / "g.png"), "--model", model, "-o", str(tmp_path / "o.png")]) == 0
    with Image.open(tmp_path / "o.png") as result:
        assert result.info.get("icc_profile") == ICC


def test_a_trns_colour_key_becomes_alpha(tmp_path, model):  # noqa: F811
    pixels = np.full((10, 12, 3), 200, np.uint8)
    pixels[2:5, 2:5] = 30
    Image.fromarray(pixels).save(tmp_path / "k.png", transparency=(200, 200, 200))
    read = read_image(tmp_path / "k.png")
    assert read.shape == (10, 12, 4) and read[0, 0, 3] == 0 and read[3, 3, 3] == 255
    assert superres_cli.main(["upscale", str(tmp_path / "k.png"), "--model", model, "-o", str(tmp_path / "o.png")]) == 0
    assert read_image(tmp_path / "o.png").shape == (20, 24, 4)


def test_a_multi_frame_file_says_only_the_first_frame_is_used(tmp_path, model, capsys):  # noqa: F811
    frames = [Image.fromarray(np.full((8, 8, 3), value, np.uint8)) for value in (10, 200, 90)]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:], lossless=True)
    assert superres_cli.main(["upscale", str(tmp_path / "anim.webp"), "--model", model, "-o", str(tmp_path / "o.png")]) == 0
    assert "anim.webp: holds 3 frames (animation or pages); only the first is used" in capsys.readouterr().err


def test_large_images_get_a_tile_progress_callback(tmp_path, monkeypatch):
    from common.io import batch

    monkeypatch.setattr(batch, "TILE_PROGRESS_PIXELS", 100)
    seen = []

    def function(pixels, progress=None):
        seen.append(progress)
        if progress:
            progress(1, 2), progress(2, 2)
        return pixels

    picture(tmp_path / "big.png", size=(12, 12))
    picture(tmp_path / "small.png", size=(5, 5))
    options = batch.OutputOptions(output=str(tmp_path / "out"), suffix="_s")
    assert batch.process_files(function, [str(tmp_path / "big.png"), str(tmp_path / "small.png")], options, tile_progress=True) == []
    assert callable(seen[0]) and seen[1] is None


def test_the_training_page_shows_the_newest_sample_first_and_reloads_while_alive(tmp_path):
    from common.train.html_report import write_run_report

    (tmp_path / "samples").mkdir()
    for step in (10, 20):
        write_image(tmp_path / "samples" / f"step_{step:07d}.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in (1, 2)))
    page = write_run_report(tmp_path, "run", live=True).read_text()
    assert page.index("step_0000020") < page.index("Losses and metrics") < page.index("step_0000010")
    assert "http-equiv='refresh'" in page and "width:1024px" in page
    assert "http-equiv" not in write_run_report(tmp_path, "run", live=False).read_text()


def test_two_exports_to_one_new_name_cannot_both_succeed(tmp_path, model, capsys, monkeypatch):  # noqa: F811
    """The other export finishes while this one works: publishing claims the name, it never replaces theirs."""
    from export import onnx_export

    out = tmp_path / "m.onnx"
    original = onnx_export.verify

    def theirs_finishes_first(*args, **kwargs):
        out.write_bytes(b"the other export's model")
        return original(*args, **kwargs)

    monkeypatch.setattr(onnx_export, "verify", theirs_finishes_first)
    assert superres_cli.main(["export", model, "-o", str(out)]) == 2
    one_error_line(capsys.readouterr().err, "m.onnx: already exists")
    assert out.read_bytes() == b"the other export's model"


def tiny_train(run, data, steps: int = 2) -> list[str]:
    return [sys.executable, "-m", "superres.cli", "train", "--data", str(data), "--out", str(run), "--scale", "2", "--arch", "lr_shuffle",
            "--blocks", "1", "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--device", "cpu", "--log-every", "1",
            "--max-steps", str(steps)]


def test_a_run_folder_is_locked_by_its_trainer(tmp_path):
    from common.train.run_folder import LOCK_NAME

    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / "run"
    run.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename}))
        busy = subprocess.run(tiny_train(run, data), capture_output=True, text=True, timeout=120, cwd=os.getcwd())
        assert busy.returncode == 2 and f"another training process (pid {sleeper.pid}" in busy.stderr
        assert not (run / "metrics.jsonl").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    stale = subprocess.run(tiny_train(run, data), capture_output=True, text=True, timeout=120)  # its holder is gone now
    assert stale.returncode == 0 and "taking over a lock left by a process that is gone" in stale.stderr
    assert not (run / LOCK_NAME).exists()


def test_a_run_killed_before_its_first_checkpoint_starts_afresh(tmp_path, capsys):
    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss_pixel": 9.0}) + "\n" + json.dumps({"step": 2, "loss_pixel": 9.0}) + "\n")
    write_image(run / "samples" / "step_0000002.png", np.zeros((4, 4, 3), np.uint8))
    assert superres_cli.main(tiny_train(run, data, 3)[3:]) == 0
    assert "stopped before its first checkpoint; nothing to resume, so it starts afresh" in capsys.readouterr().err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3] and all(r["loss_pixel"] != 9.0 for r in records)
