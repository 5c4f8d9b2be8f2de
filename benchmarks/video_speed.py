"""Frames per second and peak memory of `superres upscale clip.mp4` on this CPU (640x360 at x4, default model).

    python benchmarks/video_speed.py [--frames 12] [--tiles 0 256] [--memory-frames 60 240] [--json FILE]

Each configuration runs in its own process (so ru_maxrss is its own peak): the whole CLI path, decoding, the
shipped int8 model, x264 encoding at crf 18 and the join with the sound. Frames per second counts from the
first frame done (model loading excluded); the network's own seconds per frame are reported beside it. Memory is measured at
two clip lengths past x264's 40-frame lookahead, with a nearest-neighbour x4 standing in for the network (tile
-1), so the pipeline's own memory shows: it must not grow with the length. A batch of two frames through onnxruntime is timed against two
single frames, which decides whether frames are batched.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from superres.engine import load_upscaler
from common.video.process import VideoOptions
import numpy as np
engine = load_upscaler("default", tile={tile}, device="cpu") if {tile} >= 0 else None
spent, stamps = [0.0], []
def timed(pixels):
    started = time.perf_counter()
    result = engine.upscale_array(pixels) if engine else np.repeat(np.repeat(pixels, 4, 0), 4, 1)
    spent[0] += time.perf_counter() - started
    return result
from common.video.process import process_video
result = process_video({source!r}, {target!r}, timed, VideoOptions(overwrite=True), progress=lambda d, t: stamps.append(time.perf_counter()))
fps = (len(stamps) - 1) / (stamps[-1] - stamps[0])
print(json.dumps({{"frames": result.frames, "fps": fps, "network_s_per_frame": spent[0] / result.frames,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "size": result.size}}))
"""


def make_clip(path: Path, frames: int) -> None:
    """A 640x360 pan across a real photo (BSDS400 when ../shared is present, else a synthetic texture), with sound."""
    import av
    import numpy as np
    from PIL import Image

    photos = sorted((ROOT.parent / "shared" / "data" / "sr" / "train" / "BSDS400").glob("*"))
    if photos:
        base = np.asarray(Image.open(photos[0]).convert("RGB").resize((960, 540), Image.BICUBIC))
    else:
        base = np.random.default_rng(0).integers(0, 256, (540, 960, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
        for index in range(frames):
            for packet in video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(base[90:450, (index * 4) % 320:(index * 4) % 320 + 640]), format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)


def run_child(source: Path, target: Path, tile: int) -> dict:
    code = CHILD.format(root=str(ROOT), tile=tile, source=str(source), target=str(target))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def batch_ratio() -> float:
    """Seconds for one batch of two 640x360 frames / seconds for two single frames (below 1: batching pays)."""
    import numpy as np

    from superres.engine import load_upscaler

    session = load_upscaler("default", tile=0, device="cpu").session
    frames = np.random.default_rng(0).random((2, 3, 360, 640), dtype=np.float32)
    session.run_unit(frames[:1])
    times = {}
    for name, run in (("single", lambda: [session.run_unit(frames[i:i + 1]) for i in range(2)]), ("batch", lambda: session.run_unit(frames))):
        started = time.perf_counter()
        run()
        times[name] = time.perf_counter() - started
    return times["batch"] / times["single"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--tiles", type=int, nargs="+", default=[0, 256])
    parser.add_argument("--memory-frames", type=int, nargs="+", default=[60, 240])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict = {"clip": "640x360, x4 -> 2560x1440, default model (int8 ONNX on the CPU), libx264 crf 18"}
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "short.mp4"
        make_clip(short, args.frames)
        for tile in args.tiles:
            results[f"tile {tile}"] = run_child(short, Path(tmp) / "out.mp4", tile)
            print(f"--tile {tile}: {results[f'tile {tile}']}", flush=True)
        for frames in args.memory_frames:
            make_clip(Path(tmp) / f"{frames}.mp4", frames)
            results[f"pipeline memory, {frames} frames"] = run_child(Path(tmp) / f"{frames}.mp4", Path(tmp) / "out.mp4", -1)
            print(f"pipeline alone, {frames} frames: {results[f'pipeline memory, {frames} frames']}", flush=True)
    results["batch of 2 / 2 single frames (seconds)"] = batch_ratio()
    print(f"batch of 2 frames / 2 single frames: {results['batch of 2 / 2 single frames (seconds)']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
