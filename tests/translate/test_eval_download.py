"""FID/KID with a stand-in feature extractor (the real Inception weights are not on this machine), the eval
command's missing-weights error, and the dataset download against a local HTTP server on 127.0.0.1."""
import http.server
import io
import threading
import zipfile

import numpy as np
import pytest
import torch

from common.errors import UserError
from common.imageio import write_image
from translate.cli import main
from translate.download import download_dataset
from translate.evaluate import evaluate_translation
from translate.fid import frechet_distance, inception_extractor, kernel_inception_distance
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
        self.wfile.write(body)

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
    assert sorted(p.name for p in (tmp_path / "d2").iterdir()) == ["horse2zebra.zip"]
