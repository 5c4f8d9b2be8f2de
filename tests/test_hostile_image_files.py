"""Hostile input files, second sweep: a FIFO or a device named like an image, a link loop inside a batch folder,
a PNG whose header claims more pixels than the file holds, and running out of memory while decoding. Each is
reported on its own line with its cause; nothing blocks; the batch goes on."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from superres import cli as superres_cli
from tests.test_hostile_inputs import model, one_error_line, picture  # noqa: F401 (model is a fixture)

ROOT = Path(__file__).resolve().parents[1]


def png_claiming(path: Path, width: int, height: int, rows: bytes = b"\0" * 1000, colour_type: int = 2) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_special_files_in_a_folder_are_each_reported_and_nothing_blocks(tmp_path, model, capsys):  # noqa: F811
    folder = tmp_path / "in"
    picture(folder / "good.png")
    os.mkfifo(folder / "fifo.png")
    (folder / "zero.png").symlink_to("/dev/zero")
    (folder / "loop.png").symlink_to("loop.png")
    (folder / "dir.png").mkdir()  # a folder named like an image is no input at all
    assert superres_cli.main(["upscale", str(folder), "--model", model, "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    one_error_line(err, "fifo.png: not a regular file (a FIFO)")
    one_error_line(err, "zero.png: not a regular file (a device)")
    one_error_line(err, "loop.png: broken symbolic link or link loop")
    assert "dir.png" not in err and "3 of 4 image(s) failed" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_x2.png"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_on_the_command_line_is_not_opened(tmp_path, model):  # noqa: F811
    os.mkfifo(tmp_path / "x.png")
    code = (f"import sys; from superres.cli import main; sys.exit(main(['upscale', {str(tmp_path / 'x.png')!r}, "
            f"'--model', {model!r}, '-o', {str(tmp_path / 'o.png')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "x.png: not a regular file (a FIFO)" in done.stderr


def test_a_png_header_claiming_more_than_the_file_holds_is_refused_without_decoding(tmp_path, model, capsys):  # noqa: F811
    liar = png_claiming(tmp_path / "liar.png", 30000, 30000)
    assert superres_cli.main(["upscale", str(liar), "--model", model, "-o", str(tmp_path / "o.png"), "--max-pixels", "0"]) == 1
    one_error_line(capsys.readouterr().err, "liar.png: the header claims 30000x30000 = 900 MP, but the file's 74 bytes cannot hold")


def test_running_out_of_memory_while_decoding_names_the_size(tmp_path):
    """An honest 400 MP grey PNG (400 KB of deflate) decoded under a memory cap: the cause, not 'use a smaller --tile'."""
    big = png_claiming(tmp_path / "big.png", 20000, 20000, rows=(b"\0" + b"\0" * 20000) * 20000, colour_type=0)
    code = f"""
import resource, sys
from common.core.errors import UserError
from common.io.images import read_image
size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (size + 200 * 2**20, resource.RLIM_INFINITY))
try:
    read_image({str(big)!r}, max_pixels=None)
except UserError as exc:
    print(exc)
"""
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc to set a memory cap")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "big.png: out of memory decoding 20000x20000 = 400 MP" in done.stdout, done.stdout + done.stderr
