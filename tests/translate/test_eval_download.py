"""FID/KID with a stand-in feature extractor (the real Inception weights are not on this machine), the eval
command's missing-weights error, and the dataset download against a local HTTP server on 127.0.0.1."""
import http.server
import io
import threading
import zipfile

import numpy as np
import pytest
import torch

from common.core.errors import UserError
from common.io.images import write_image
from translate.cli import main
from translate.download import download_dataset
from translate.evaluate import evaluate_translation
from common.metrics.fid import frechet_distance, inception_extractor, kernel_inception_distance
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.translator import Translator
from tests.helpers import make_image_folder


def test_fid_matches_the_gaussian_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    b = rng.normal(size=(4000, 3)) * 2 + np.array([1.0, 0.0, 0.0])
    # Diagonal covariances I and 4I: FID = |mu|^2 + sum(1 + 4 - 2*2) = 1 + 3.
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)
    assert abs(frechet_distance(a, a)) < 1e-8


def test_kid_is_near_zero_for_the_same_distribution():
    rng = np.random.default_rng(1)
    same = kernel_inception_distance(rng.normal(size=(300, 16)), rng.normal(size=(300, 16)), subsets=10, subset_size=100)
    shifted = kernel_inception_distance(rng.normal(size=(300, 16)), rng.normal(size=(300, 16)) + 0.5, subsets=10, subset_size=100)
    assert abs(same[0]) < 0.01 and shifted[0] > 0.1


def test_evaluation_pipeline_with_a_stand_in_extractor(tmp_path):
    # A fixed random conv net stands in for Inception: this checks the pipeline, not a real FID.
    torch.manual_seed(0)
    stand_in = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()).eval()
    source = make_image_folder(tmp_path / "src", 4, (24, 20))
    real = make_image_folder(tmp_path / "real", 4, (24, 20), seed=3)
    translator = Translator(ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1)), device="cpu")
    with torch.no_grad():
        scores = evaluate_translation(translator, source, real, stand_in)
    assert scores["n_translated"] == 4 and np.isfinite(scores["fid"]) and np.isfinite(scores["kid"])


def test_missing_inception_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(UserError, match="Inception-v3 weights not found"):
        inception_extractor(tmp_path / "none.pth")


def _zip_bytes(tmp_path, with_b=True) -> bytes:
    buffer = io.BytesIO()
    pixels = np.zeros((8, 8, 3), dtype=np.uint8)
    write_image(tmp_path / "x.png", pixels)
    with zipfile.ZipFile(buffer, "w") as bundle:
        for split in ("trainA", "trainB", "testA", "testB") if with_b else ("trainA",):
            bundle.write(tmp_path / "x.png", f"horse2zebra/{split}/1.png")
    return buffer.getvalue()


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    payload = b""
    requests: list = []

    def do_GET(self):
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        type(self).requests.append(start)
        body = self.payload[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(self.sent_part(body, start))

    def sent_part(self, body: bytes, start: int) -> bytes:
        return body

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def test_download_resumes_verifies_and_unpacks(tmp_path, server):
    _RangeHandler.payload, _RangeHandler.requests = _zip_bytes(tmp_path), []
    root = tmp_path / "datasets"
    root.mkdir()
    (root / "horse2zebra.zip.partial").write_bytes(_RangeHandler.payload[:100])  # an interrupted earlier run
    url = f"http://127.0.0.1:{server.server_port}"
    assert main(["download", "horse2zebra", "--root", str(root), "--base-url", url]) == 0
    assert _RangeHandler.requests == [100]
    assert sorted(p.name for p in (root / "horse2zebra").iterdir()) == ["testA", "testB", "trainA", "trainB"]
    assert sorted(p.name for p in root.iterdir()) == ["horse2zebra"]


def test_download_rejects_corrupt_or_wrong_archives(tmp_path, server):
    url = f"http://127.0.0.1:{server.server_port}"
    _RangeHandler.payload = b"this is not a zip"
    with pytest.raises(UserError, match="corrupt download"):
        download_dataset("horse2zebra", tmp_path / "d1", url)
    assert not (tmp_path / "d1" / "horse2zebra").exists()
    _RangeHandler.payload = _zip_bytes(tmp_path, with_b=False)
    with pytest.raises(UserError, match="unexpected content"):
        download_dataset("horse2zebra", tmp_path / "d2", url)
    assert sorted(p.name for p in (tmp_path / "d2").iterdir()) == []  # the bad archive is not reused by the next run


class _CutHandler(_RangeHandler):
    """Promises the whole file, sends part of it, then closes (a connection cut mid-body)."""

    cut_at = 0

    def sent_part(self, body: bytes, start: int) -> bytes:
        self.close_connection = True
        return body[: max(self.cut_at - start, 0)] if self.cut_at else body


@pytest.fixture
def cutting_server(monkeypatch):
    from common.weights import download as weights_download

    monkeypatch.setattr(weights_download, "RETRY_DELAY_SCALE", 0.0)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CutHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def test_a_body_cut_short_is_not_taken_as_complete(tmp_path, cutting_server, capsys):
    payload = _zip_bytes(tmp_path)
    _CutHandler.payload, _CutHandler.requests, _CutHandler.cut_at = payload, [], len(payload) // 2
    root = tmp_path / "datasets"
    url = f"http://127.0.0.1:{cutting_server.server_port}"
    # Every try is cut at the same byte: after the retries, one line, and the partial file kept for a resume.
    assert main(["download", "horse2zebra", "--root", str(root), "--base-url", url]) == 2
    err = capsys.readouterr().err
    assert "download failed" in err and "run the command again to resume" in err and "Traceback" not in err
    assert (root / "horse2zebra.zip.partial").stat().st_size == len(payload) // 2
    assert not (root / "horse2zebra.zip").exists() and not (root / "horse2zebra").exists()
    _CutHandler.cut_at = 0  # the network recovers: the next run resumes from the kept bytes
    assert main(["download", "horse2zebra", "--root", str(root), "--base-url", url]) == 0
    assert _CutHandler.requests[-1] == len(payload) // 2
    assert (root / "horse2zebra" / "trainA" / "1.png").is_file()


def test_connection_refused_is_one_line(tmp_path, capsys, monkeypatch):
    from common.weights import download as weights_download

    monkeypatch.setattr(weights_download, "RETRY_DELAY_SCALE", 0.0)
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["download", "horse2zebra", "--root", str(tmp_path), "--base-url", f"http://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert "download failed" in err and "after 3 tries" in err and "Traceback" not in err


def _zip_with(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            bundle.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize("kind, message", [
    ("bomb", "refused as a zip bomb"),
    ("symlink", "is a symbolic link"),
    ("escape", "outside the dataset folder"),
    ("files", "more than the limit of 3"),
])
def test_unsafe_archives_are_refused_and_removed(tmp_path, server, kind, message):
    image = _zip_bytes(tmp_path)
    with zipfile.ZipFile(io.BytesIO(image)) as bundle:
        entries = {name: bundle.read(name) for name in bundle.namelist()}
    if kind == "bomb":
        entries["horse2zebra/trainA/zeros.png"] = bytes(200 * 1024**2)  # 200 MB of zeros, about 200 kB zipped
    elif kind == "escape":
        entries["../../outside.png"] = b"x"
    _RangeHandler.payload = _zip_with(entries, symlink="horse2zebra/trainA/link.png" if kind == "symlink" else None)
    root = tmp_path / "d"
    url = f"http://127.0.0.1:{server.server_port}"
    with pytest.raises(UserError, match=message):
        download_dataset("horse2zebra", root, url, max_files=3 if kind == "files" else 200_000)
    assert sorted(p.name for p in root.iterdir()) == []  # no archive kept, nothing unpacked
    assert not (tmp_path / "outside.png").exists()
