"""Every ONNX consumer on one 768x512 photo: time and max difference from the CLI, per precision.

    python benchmarks/onnx_consumers.py [--model default] [--json benchmarks/results/onnx_consumers.json]

Exports MODEL to fp32, int8 (calibrated on BSDS400) and an image-in, image-out graph (``--io uint8``), makes a 768x512 photo (a BSDS400 photo, bicubic), and
runs it through `superres upscale --model X.onnx` (the reference), the torch-free Python example, the Node
example (gansuite-onnx on onnxruntime-node) and the web demo in headless Chromium (gansuite-onnx on
onnxruntime-web, WASM, served with COOP/COEP). Times are whole commands (process start and model load
included), one run each, so they are indicative; differences are max |8-bit level| against the CLI's output of
the same file, and against the CLI's fp32 output. Needs `npm ci` in examples/node and examples/web, and Chromium.
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BSDS = ROOT.parent / "shared" / "data" / "sr" / "train" / "BSDS400"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}...: {run.stderr.strip()[-500:]}")
    return time.perf_counter() - start


def browser_run(site: Path, image: str) -> tuple[float, np.ndarray, dict]:
    """The web demo on ``image`` in headless Chromium; (whole seconds, pixels, the page's report)."""
    from PIL import Image

    spec = importlib.util.spec_from_file_location("serve", ROOT / "examples" / "web" / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    handler = type("Quiet", (serve.IsolatedHandler,), {"log_message": lambda *args: None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chromium = next(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n))
    start = time.perf_counter()
    try:
        run = subprocess.run(["node", str(ROOT / "examples" / "web" / "headless_run.js"), str(ROOT / "examples" / "web"), chromium,
                              f"http://127.0.0.1:{server.server_port}/index.html", image, "256", "png-only"],
                             capture_output=True, text=True, timeout=1800)
    finally:
        server.shutdown()
    if run.returncode != 0:
        raise SystemExit(f"web demo: {run.stderr.strip()[-500:]}")
    seconds = time.perf_counter() - start
    report = json.loads(run.stdout)
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(report.pop("png")))))
    return seconds, pixels[..., :3], report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--json")
    args = parser.parse_args()
    from common.io.images import list_images, read_image, read_rgb8, write_image
    from PIL import Image

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photo = np.asarray(Image.fromarray(read_rgb8(list_images([BSDS])[-1])).resize((768, 512), Image.Resampling.BICUBIC))
        write_image(tmp / "photo.png", photo)
        exports = {"fp32": [], "int8": ["--int8", str(BSDS), "--int8-keep"], "uint8 io (fp32)": ["--io", "uint8"]}
        reference = {}
        for precision, options in exports.items():
            model = tmp / f"{precision.split()[0]}.onnx"
            subprocess.run([sys.executable, "-m", "superres.cli", "export", args.model, "-o", str(model), *options],
                           check=True, capture_output=True, cwd=ROOT)
            site = tmp / f"site_{precision.split()[0]}"
            site.mkdir()
            for name in ("index.html", "app.js", "png.js", "node_modules"):
                (site / name).symlink_to(ROOT / "examples" / "web" / name)
            for suffix in ("", ".json"):
                (site / f"model.onnx{suffix}").symlink_to(f"{model}{suffix}")
            (site / "photo.png").symlink_to(tmp / "photo.png")
            outputs = {}
            cli = tmp / f"cli_{precision.split()[0]}.png"
            outputs["CLI (superres upscale)"] = (timed([sys.executable, "-m", "superres.cli", "upscale", str(tmp / "photo.png"), "--model", str(model),
                                                        "-o", str(cli)]), read_image(cli))
            example = tmp / f"py_{precision.split()[0]}.png"
            outputs["Python example (no torch)"] = (timed([sys.executable, str(ROOT / "examples" / "python" / "run_model.py"), str(model),
                                                           str(tmp / "photo.png"), str(example)]), read_image(example))
            node = tmp / f"node_{precision.split()[0]}.png"
            outputs["Node (gansuite-onnx, onnxruntime-node)"] = (timed(["node", str(ROOT / "examples" / "node" / "run_model.js"), str(model),
                                                                        str(tmp / "photo.png"), str(node)]), read_image(node))
            seconds, pixels, report = browser_run(site, "photo.png")
            outputs[f"browser (gansuite-onnx, onnxruntime-web {report['provider']})"] = (seconds, pixels)
            reference[precision] = outputs["CLI (superres upscale)"][1].astype(int)
            for consumer, (seconds, pixels) in outputs.items():
                pixels = pixels.astype(int)
                row = {"precision": precision, "consumer": consumer, "seconds": round(seconds, 2),
                       "max_levels_vs_cli": int(np.abs(pixels - reference[precision]).max()),
                       "max_levels_vs_cli_fp32": int(np.abs(pixels - reference["fp32"]).max())}
                if consumer.startswith("browser"):
                    row["page_seconds"] = round(report["seconds"], 2)
                results.append(row)
                print(json.dumps(row))
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, "photo": "768x512 -> 3072x2048", "rows": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
