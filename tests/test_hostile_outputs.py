"""Hostile output names and late failures, second sweep: an -o that changes kind, paths hidden in --ext/--suffix,
temporary files a killed run left, and a full disk or a permission problem during export or training. One
`error:` line naming the final path or the option, and nothing written."""
from __future__ import annotations

import errno
import os
import time

import pytest

from superres import cli as superres_cli
from tests.helpers import make_image_folder
from tests.test_hostile_inputs import model, one_error_line, picture  # noqa: F401 (model is a fixture)


@pytest.mark.parametrize("name", ["result.gif", "clip.mp4", "scan.pdf"])
def test_an_output_with_a_non_image_extension_is_an_error_not_a_folder(tmp_path, model, capsys, name):  # noqa: F811
    out = tmp_path / name
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", model, "-o", str(out)]) == 2
    one_error_line(capsys.readouterr().err, f"-o {out}: {out.suffix} is not an image type written here")
    assert not out.exists()


def test_an_existing_folder_with_a_dotted_name_is_still_a_folder(tmp_path, model):  # noqa: F811
    (tmp_path / "renders.gif").mkdir()
    assert superres_cli.main(["upscale", str(picture(tmp_path / "a.png")), "--model", model, "-o", str(tmp_path / "renders.gif")]) == 0
    assert (tmp_path / "renders.gif" / "a_x2.png").is_file()


@pytest.mark.parametrize("option, value, message", [
    ("--ext", "png/../../x.png", "--ext 'png/../../x.png': not an image type written here"),
    ("--ext", "gif", "--ext 'gif': not an image type written here"),
    ("--suffix", "/../../esc", "--suffix '/../../esc': must be a plain part of a file name"),
    ("--suffix", "/tmp/abs", "--suffix '/tmp/abs': must be a plain part of a file name"),
    ("--suffix", "a\\b", "must be a plain part of a file name"),
    ("--suffix", "a\0b", "must be a plain part of a file name"),
])
def test_paths_hidden_in_ext_or_suffix_name_the_option(tmp_path, model, capsys, option, value, message):  # noqa: F811
    source = picture(tmp_path / "in" / "a.png")
    out = tmp_path / "out" / "sub"
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(out), option, value]) == 2
    one_error_line(capsys.readouterr().err, message)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "in", "m.json", "m.safetensors"]  # nothing made, in or out of -o


def stale_partial(folder, name: str, age_s: float):
    """A temporary file as write_bytes_atomic names it (mkstemp: ``.NAME.`` + 8 characters + ``.partial``)."""
    path = folder / f".{name}.abcd1234.partial"
    path.write_bytes(b"half an image")
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_a_batch_removes_the_partials_a_killed_run_left_but_not_a_live_writers(tmp_path, model, capsys):  # noqa: F811
    source = picture(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    old, live = stale_partial(out, "a_x2.png", 3600), stale_partial(out, "b_x2.png", 3600)
    fresh = out / ".a_x2.png.zzzz9999.partial"
    fresh.write_bytes(b"another process is writing this right now")
    assert superres_cli.main(["upscale", str(source), "--model", model, "-o", str(out)]) == 0
    assert not old.exists() and fresh.exists()
    assert live.exists()  # b_x2.png is not a result of this batch: not ours to judge
    assert "removed 1 temporary file(s) left by an interrupted earlier run" in capsys.readouterr().err


def test_an_export_removes_the_temporary_folder_a_killed_export_left(tmp_path, model):  # noqa: F811
    stale = tmp_path / ".m.onnx.abcd1234.partial"
    stale.mkdir()
    (stale / "m.onnx").write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert superres_cli.main(["export", model, "-o", str(tmp_path / "m.onnx")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.md", "m.onnx", "m.onnx.json", "m.safetensors"]  # m.md: the model card


def test_an_unwritable_export_folder_is_said_before_the_work(tmp_path, model, capsys, monkeypatch):  # noqa: F811
    import tempfile

    from export import onnx_export

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(onnx_export, "_export_to_proto", lambda *a: pytest.fail("exported before checking the folder"))
    monkeypatch.setattr(tempfile, "mkstemp", refused)
    out = tmp_path / "models" / "m.onnx"
    assert superres_cli.main(["export", model, "-o", str(out)]) == 2
    one_error_line(capsys.readouterr().err, f"{out}: cannot write to {out.parent} (Permission denied)")


def test_a_full_disk_at_the_end_of_an_export_names_the_final_path(tmp_path, model, capsys, monkeypatch):  # noqa: F811
    import onnx

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/some/tmpabc/m.onnx")

    monkeypatch.setattr(onnx, "save_model", full)
    out = tmp_path / "m.onnx"
    assert superres_cli.main(["export", model, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    one_error_line(err, f"{out}: cannot write (No space left on device); no file written")
    assert "tmpabc" not in err and "unexpected" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_a_full_disk_while_training_names_the_checkpoint_and_keeps_the_last_one(tmp_path, capsys, monkeypatch):
    from common.train import checkpoint

    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))
    run = tmp_path / "run"
    args = ["train", "--data", str(data), "--out", str(run), "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--device", "cpu", "--checkpoint-every", "2"]
    assert superres_cli.main(args + ["--max-steps", "2"]) == 0
    before = (run / "checkpoints" / "last.pt").read_bytes()

    def full(path, data, overwrite=True):
        raise OSError(errno.ENOSPC, "No space left on device", str(run / "checkpoints" / ".last.pt.x1y2z3w4.partial"))

    monkeypatch.setattr(checkpoint, "write_bytes_atomic", full)
    assert superres_cli.main(args + ["--max-steps", "4", "--resume"]) == 2
    err = capsys.readouterr().err
    one_error_line(err, f"{run / 'checkpoints' / 'last.pt'}: cannot write at step 4 (No space left on device)")
    assert ".partial" not in err and "unexpected" not in err
    assert (run / "checkpoints" / "last.pt").read_bytes() == before


def test_an_unwritable_run_folder_is_said_before_training(tmp_path, capsys, monkeypatch):
    import tempfile

    data = make_image_folder(tmp_path / "d", count=2, size=(40, 40))

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    run = tmp_path / "run"
    args = ["train", "--data", str(data), "--out", str(run), "--scale", "2", "--arch", "lr_shuffle", "--blocks", "1",
            "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--device", "cpu", "--max-steps", "2"]
    assert superres_cli.main(args) == 2
    one_error_line(capsys.readouterr().err, f"{run}: cannot write to {run / 'samples'} (Permission denied)")
    assert not (run / "checkpoints").exists()
