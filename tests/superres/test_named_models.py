"""Models by name: the pinned list, and the verified download cache against a local server on 127.0.0.1
(correct, cut, corrupted, oversized, slow, 404, redirected, offline); never the internet."""
import hashlib
import http.server
import threading
import time

import numpy as np
import pytest

from common.core.errors import UserError
from common.io.images import read_image
from common.weights import download as weights_download
from superres import named_models as registry
from superres.cli import main
from superres.named_models import NamedModel, fetch_named_model, named_models
from tests.conftest import shared_folder
from tests.helpers import make_image_folder

PAYLOAD = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` by name with Range; ``mode`` bends the behaviour: cut, corrupt, oversize, slow."""

    files: dict = {}
    mode = "ok"
    requests: list = []

    def do_GET(self):
        name = self.path.lstrip("/")
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        type(self).requests.append((name, start))
        if name == "moved.pth":
            self.send_response(302)
            self.send_header("Location", "/model.pth")
            self.end_headers()
            return
        if name not in self.files:
            self.send_error(404)
            return
        body = self.files[name]
        if self.mode == "corrupt":
            body = bytes(reversed(body))
        if self.mode == "oversize":
            body = body + b"extra"
        body = body[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.mode == "cut":
            self.close_connection = True
            body = body[: max(len(self.files[name]) // 2 - start, 0)]
        for offset in range(0, len(body), 65536):
            self.wfile.write(body[offset:offset + 65536])
            if self.mode == "slow":
                time.sleep(0.01)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Handler.files, _Handler.mode, _Handler.requests = {"model.pth": PAYLOAD}, "ok", []
    monkeypatch.setenv("GANSUITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GANSUITE_MODEL_MIRROR", f"http://127.0.0.1:{httpd.server_port}")
    monkeypatch.delenv("GANSUITE_OFFLINE", raising=False)
    monkeypatch.setattr(weights_download, "RETRY_DELAY_SCALE", 0.0)
    entry = NamedModel("test-model", "model.pth", "https://example.invalid/model.pth", hashlib.sha256(PAYLOAD).hexdigest(),
                       len(PAYLOAD), "compact", 4, "MIT", "test payload")
    monkeypatch.setattr(registry, "named_models", lambda: {"test-model": entry})
    yield httpd
    httpd.shutdown()


def test_the_pinned_list_is_complete_and_well_formed():
    models = named_models()
    assert {"RealESRGAN_x4plus", "RealESRGAN_x2plus", "RealESRGAN_x4plus_anime_6B", "realesr-general-x4v3",
            "realesr-general-wdn-x4v3", "realesr-animevideov3"} <= set(models)
    for model in models.values():
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0 and model.size > 0
        assert model.url.startswith("https://github.com/xinntao/Real-ESRGAN/releases/download/") and model.url.endswith(model.filename)


def test_download_verifies_caches_and_is_used_once(server, tmp_path):
    path = fetch_named_model("test-model")
    assert path == tmp_path / "cache" / "model.pth" and path.read_bytes() == PAYLOAD
    assert fetch_named_model("test-model") == path and len(_Handler.requests) == 1  # cached: no second request
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.pth"]


def test_a_cut_download_keeps_its_partial_and_resumes(server, tmp_path):
    _Handler.mode = "cut"
    with pytest.raises(UserError, match="run the command again to resume"):
        fetch_named_model("test-model")
    assert not (tmp_path / "cache" / "model.pth").exists()
    assert (tmp_path / "cache" / "model.pth.partial").stat().st_size == len(PAYLOAD) // 2
    _Handler.mode = "ok"
    assert fetch_named_model("test-model").read_bytes() == PAYLOAD
    assert _Handler.requests[-1] == ("model.pth", len(PAYLOAD) // 2)


@pytest.mark.parametrize("mode, message", [("corrupt", r"not the pinned file \(sha256"), ("oversize", "more than the 300,000")])
def test_a_wrong_file_is_refused_and_nothing_is_kept(server, tmp_path, mode, message):
    _Handler.mode = mode
    with pytest.raises(UserError, match=message):
        fetch_named_model("test-model")
    assert list((tmp_path / "cache").iterdir()) == []


def test_slow_redirected_and_missing_files(server, tmp_path, monkeypatch):
    _Handler.mode = "slow"
    assert fetch_named_model("test-model").read_bytes() == PAYLOAD
    (tmp_path / "cache" / "model.pth").unlink()
    _Handler.mode = "ok"
    monkeypatch.setattr(registry, "named_models", lambda: {"test-model": NamedModel(
        "test-model", "moved.pth", "x", hashlib.sha256(PAYLOAD).hexdigest(), len(PAYLOAD), "compact", 4, "MIT", "")})
    assert fetch_named_model("test-model").read_bytes() == PAYLOAD  # followed the 302
    monkeypatch.setattr(registry, "named_models", lambda: {"test-model": NamedModel(
        "test-model", "absent.pth", "x", "0" * 64, 10, "compact", 4, "MIT", "")})
    with pytest.raises(UserError, match="HTTP 404"):
        fetch_named_model("test-model")


def test_offline_refuses_the_network_and_names_the_file_to_place(server, tmp_path, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(16, 16)) / "img00.png"
    assert main(["upscale", str(source), "--model", "test-model", "--offline", "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "not in the cache and downloads are off" in err and str(tmp_path / "cache" / "model.pth") in err
    assert _Handler.requests == [] and not (tmp_path / "o.png").exists()
    assert main(["upscale", str(source), "--model", "no-such-model", "-o", str(tmp_path / "o.png")]) == 2


def test_models_lists_names_and_what_is_cached(server, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().err
    assert "test-model" in out and "default" in out and "no" in out
    assert main(["models", "--fetch", "test-model"]) == 0
    assert "yes" in capsys.readouterr().err


def test_a_real_release_by_name_downloads_verifies_and_upscales(tmp_path, monkeypatch, capsys):
    released = shared_folder("released")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Handler.files, _Handler.mode, _Handler.requests = {"realesr-animevideov3.pth": (released / "realesr-animevideov3.pth").read_bytes()}, "ok", []
    monkeypatch.setenv("GANSUITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GANSUITE_MODEL_MIRROR", f"http://127.0.0.1:{httpd.server_port}")
    try:
        source = make_image_folder(tmp_path / "in", count=1, size=(20, 16)) / "img00.png"
        assert main(["upscale", str(source), "--model", "realesr-animevideov3", "-o", str(tmp_path / "by_name.png"), "--device", "cpu"]) == 0
        assert main(["upscale", str(source), "--model", str(released / "realesr-animevideov3.pth"), "-o", str(tmp_path / "by_file.png"),
                     "--device", "cpu"]) == 0
        np.testing.assert_array_equal(read_image(tmp_path / "by_name.png"), read_image(tmp_path / "by_file.png"))
        assert "downloading 2.5 MB" in capsys.readouterr().err
    finally:
        httpd.shutdown()
