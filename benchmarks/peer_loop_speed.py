"""Our upscaling paths against an inference loop written the way Real-ESRGAN's ``RealESRGANer.enhance`` works, on
the same network object, in one process: interleaved rounds, medians.

    python benchmarks/peer_loop_speed.py [--models default clean compact rrdbnet] [--rounds 3] [--json out.json]

The peer loop (:func:`peer_enhance`): uint8 -> float32 /255 NCHW, reflect pre-padding of ``pre_pad`` pixels at the
bottom and right, tiles of ``tile`` pixels each grown by ``tile_pad`` of context (10 in Real-ESRGAN, fewer than the
networks' receptive radius: its tiles differ from the whole image), fp32 PyTorch under ``no_grad``, each tile's
output cropped into a preallocated tensor, the pre-pad cut, clamped, x255, rounded.

Our paths: the fp32 torch ``Upscaler``, onnxruntime fp32 and int8 (files made here by ``superres export``, int8
calibrated on ``../shared/data/sr/train/BSDS400`` when present, else on a folder of synthetic photos), each with
the tiles given and with ``tile="auto"``; and ``cli default``: what ``superres upscale`` runs with no option
(``load_upscaler``: the shipped int8 file for the embedded models; for an imported ``.pth``, whichever of torch and
its ONNX graph the first run measured faster here, ``superres.prepared_graph``, prepared in a fresh cache folder).

The photo is the first BSDS400 image (481x321) when ../shared/data is present, else a smooth synthetic image of
that size. RRDBNet runs at the size of RealESRGAN_x4plus_anime_6B (6 blocks; ``--rrdb-blocks 23`` for x4plus, 8x the
work of the others) on a 320x240 centre crop (``--rrdb-crop``), wide enough for two tiles.
Each row gives the median seconds, the speed against the peer's tiled loop and against the peer whole-image,
the share of the same-run 2048^2 fp32 matmul rate the path reaches on the network's useful work (whole-image
conv FLOPs / time), and the max 8-bit level difference and PSNR against fp32 torch on the whole image.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sr_throughput import conv_macs  # noqa: E402
from benchmarks.timing import matmul_gflops  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
BSDS = SHARED / "sr/train/BSDS400"
COMPACT_FILE = SHARED / "released/realesr-general-x4v3.pth"


@torch.no_grad()
def peer_enhance(model: torch.nn.Module, pixels: np.ndarray, scale: int, tile: int = 0, tile_pad: int = 10, pre_pad: int = 10) -> np.ndarray:
    """(H, W, 3) uint8 -> (H*s, W*s, 3) uint8, tile by tile as ``RealESRGANer.enhance`` does it."""
    image = torch.from_numpy(np.transpose(pixels.astype(np.float32) / 255.0, (2, 0, 1))).float()[None]
    if pre_pad:
        image = F.pad(image, (0, pre_pad, 0, pre_pad), "reflect")
    if tile <= 0:
        output = model(image)
    else:
        output = _peer_tiles(model, image, scale, tile, tile_pad)
    height, width = pixels.shape[:2]
    output = output[:, :, : height * scale, : width * scale]
    result = output.data.squeeze().float().cpu().clamp_(0, 1).numpy()
    return (np.transpose(result, (1, 2, 0)) * 255.0).round().astype(np.uint8)


def _peer_tiles(model: torch.nn.Module, image: torch.Tensor, scale: int, tile: int, tile_pad: int) -> torch.Tensor:
    batch, channels, height, width = image.shape
    output = image.new_zeros((batch, channels, height * scale, width * scale))
    for y in range(math.ceil(height / tile)):
        for x in range(math.ceil(width / tile)):
            left, top = x * tile, y * tile
            right, bottom = min(left + tile, width), min(top + tile, height)
            in_left, in_top = max(left - tile_pad, 0), max(top - tile_pad, 0)
            in_right, in_bottom = min(right + tile_pad, width), min(bottom + tile_pad, height)
            result = model(image[:, :, in_top:in_bottom, in_left:in_right])
            off_x, off_y = (left - in_left) * scale, (top - in_top) * scale
            output[:, :, top * scale : bottom * scale, left * scale : right * scale] = \
                result[:, :, off_y : off_y + (bottom - top) * scale, off_x : off_x + (right - left) * scale]
    return output


def test_photo() -> np.ndarray:
    from common.io.images import read_rgb8

    photos = sorted(BSDS.glob("*.png")) + sorted(BSDS.glob("*.jpg"))
    if photos:
        return read_rgb8(photos[0])[..., :3]
    yy, xx = np.mgrid[0:321, 0:481] / 481.0
    image = np.stack([0.5 + 0.4 * np.sin(31 * xx + 7 * yy), 0.5 + 0.4 * np.cos(23 * xx * yy + 5 * yy), 0.5 + 0.3 * np.sin(40 * yy)], axis=2)
    return (image * 255).round().astype(np.uint8)


def build_model(name: str, rrdb_blocks: int) -> tuple[torch.nn.Module, str]:
    """(network in eval mode, the model spec the CLI would be given for it)."""
    from superres.compact import CompactConfig, CompactSR
    from superres.pretrained import load_sr_model
    from superres.rrdbnet import RRDBNet, RRDBNetConfig

    if name in ("default", "clean"):
        return load_sr_model(name)[0], name
    if name == "compact" and COMPACT_FILE.is_file():
        return load_sr_model(str(COMPACT_FILE))[0], str(COMPACT_FILE)
    model = CompactSR(CompactConfig()) if name == "compact" else RRDBNet(RRDBNetConfig(num_blocks=rrdb_blocks))
    return model.eval(), ""  # random weights: speed does not depend on them


def calibration_folder(tmp: Path) -> Path:
    if BSDS.is_dir():
        return BSDS
    folder = tmp / "calibration"
    folder.mkdir()
    from PIL import Image

    for index in range(4):
        Image.fromarray(np.roll(test_photo(), 37 * index, axis=1)).save(folder / f"{index}.png")
    return folder


def model_paths(name: str, model: torch.nn.Module, spec: str, tmp: Path, tile: int, our_tiles: list[str]) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    from common.core.config import config_to_dict
    from common.weights.model_files import save_weights
    from superres.architectures import model_kind
    from superres.engine import load_upscaler
    from export.int8_choice import Int8Policy
    from superres.onnx import export_sr_model
    from superres.upscaler import Upscaler
    from export.onnx_upscaler import OnnxUpscaler

    scale = model.config.scale
    weights = tmp / f"{name}.safetensors"
    save_weights(model, weights, model_kind(model.config), config_to_dict(model.config))
    fp32, int8 = tmp / f"{name}_fp32.onnx", tmp / f"{name}_int8.onnx"
    export_sr_model(str(weights), fp32)
    export_sr_model(str(weights), int8, int8_calibration=str(calibration_folder(tmp)), int8_policy=Int8Policy(keep=True))  # the int8 graph itself, measured
    paths = {
        f"peer tiled ({tile}, pad 10)": lambda p: peer_enhance(model, p, scale, tile),
        "peer whole": lambda p: peer_enhance(model, p, scale, 0),
    }
    for label in our_tiles:
        tiles = label if label == "auto" else int(label)
        paths[f"torch tile {label}"] = Upscaler(model, device="cpu", tile=tiles).upscale_array
        paths[f"onnx fp32 tile {label}"] = OnnxUpscaler(fp32, device="cpu", tile=tiles).upscale_array
        paths[f"onnx int8 tile {label}"] = OnnxUpscaler(int8, device="cpu", tile=tiles).upscale_array
    os.environ["GANSUITE_CACHE_DIR"] = str(tmp / "cache")  # a fresh decision, and never the user's cache
    paths["cli default"] = load_upscaler(spec or str(weights)).upscale_array
    return paths


def level_agreement(actual: np.ndarray, expected: np.ndarray) -> tuple[int, float]:
    diff = actual.astype(np.float64) - expected.astype(np.float64)
    mse = float(np.mean(diff**2))
    return int(np.abs(diff).max()), (math.inf if mse == 0 else 10 * math.log10(255**2 / mse))


def bench(name: str, rounds: int, tile: int, rrdb_crop: tuple[int, int], rrdb_blocks: int, our_tiles: list[str]) -> list[dict]:
    model, spec = build_model(name, rrdb_blocks)
    model = model.eval().requires_grad_(False)
    photo = test_photo()
    if name == "rrdbnet":
        width, height = rrdb_crop
        top, left = max((photo.shape[0] - height) // 2, 0), max((photo.shape[1] - width) // 2, 0)
        photo = np.ascontiguousarray(photo[top : top + height, left : left + width])
    x = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    flops = 2 * conv_macs(model, x)
    with torch.no_grad():
        reference = (model(x).clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        paths = model_paths(name, model, spec, Path(tmp), tile, our_tiles)
        times: dict[str, list[float]] = {path: [] for path in paths}
        outputs: dict[str, np.ndarray] = {path: run(photo) for path, run in paths.items()}  # warm-up and accuracy
        rates = []
        for round_index in range(rounds):
            rates.append(matmul_gflops(2))
            for path, run in paths.items():
                start = time.perf_counter()
                run(photo)
                times[path].append(time.perf_counter() - start)
            print(f"  {name}: round {round_index + 1}/{rounds} done", flush=True)
    rate = statistics.median(rates)
    peer_tiled, peer_whole = (statistics.median(times[key]) for key in list(paths)[:2])
    rows = []
    for path in paths:
        seconds = statistics.median(times[path])
        max_levels, psnr = level_agreement(outputs[path], reference)
        rows.append({"model": name, "path": path, "seconds": seconds, "vs_peer_tiled": peer_tiled / seconds, "vs_peer_whole": peer_whole / seconds,
                     "matmul_share": flops / seconds / 1e9 / rate, "max_levels": max_levels, "psnr": psnr,
                     "image": f"{photo.shape[1]}x{photo.shape[0]}", "matmul_gflops": rate})
    return rows


def print_table(rows: list[dict]) -> None:
    print("\n| model | image | path | s | vs peer tiled | vs peer whole | share of matmul | max levels | PSNR vs fp32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        psnr = "exact" if math.isinf(row["psnr"]) else f"{row['psnr']:.1f}"
        print(f"| {row['model']} | {row['image']} | {row['path']} | {row['seconds']:.2f} | {row['vs_peer_tiled']:.2f}x | {row['vs_peer_whole']:.2f}x "
              f"| {row['matmul_share']:.0%} | {row['max_levels']} | {psnr} |")
    print(f"\nthreads {torch.get_num_threads()}, same-run 2048^2 fp32 matmul {statistics.median(r['matmul_gflops'] for r in rows):.0f} GFLOP/s (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["default", "clean", "compact", "rrdbnet"], choices=["default", "clean", "compact", "rrdbnet"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tile", type=int, default=256, help="tile size of the peer loop and of our fixed-tile rows")
    parser.add_argument("--rrdb-crop", default="320x240", help="WxH of the centre crop RRDBNet runs on")
    parser.add_argument("--rrdb-blocks", type=int, default=6, help="RRDB blocks (6: anime_6B, 23: x4plus)")
    parser.add_argument("--our-tiles", nargs="+", default=["256", "auto"], help="tile settings of our rows (a size, 0: whole, auto)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    crop = tuple(int(side) for side in args.rrdb_crop.lower().split("x"))
    rows = [row for name in args.models for row in bench(name, args.rounds, args.tile, crop, args.rrdb_blocks, args.our_tiles)]
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
