"""CycleGAN presets on unpaired tasks whose answer is known: does `translate train` learn the style and keep content?

    python benchmarks/cyclegan_presets.py --tasks grade tone blur --presets default reference \\
        [--steps 2000] [--crop 64] [--ngf 32] [--blocks 6] [--workdir runs/cyclegan_presets] \\
        [--set generator.input_skip=false --set lr=1e-4 ...]   # variants of a preset, labelled by their settings
    python benchmarks/cyclegan_presets.py --report [--workdir runs/cyclegan_presets]   # table + sample grid

Each task splits BSDS400 into disjoint halves: domain A as it is, domain B through a hidden transform T (so nothing
is paired); the last 40 images are in neither domain. After training, A->B is scored on those 40 by PSNR against
T(x) and against doing nothing (PSNR(x, T(x))): a model that learned T beats doing nothing, one that distorts
content falls below it. Tasks: ``grade`` (per-channel gamma and gain: a warm colour grade), ``tone`` (an S-shaped
contrast curve) and ``blur`` (Gaussian blur, sigma 1.2 px: a texture change). Each run writes
``WORKDIR/<task>_<preset>/result.json``; ``--report`` gathers them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.core.errors import UserError  # noqa: E402
from benchmarks.cyclegan_hidden_transform import build_domains, epochs_per_phase, hidden_transform, psnr  # noqa: E402


def tone_curve(pixels: np.ndarray) -> np.ndarray:
    """An S-shaped contrast curve on every channel (darker shadows, brighter highlights)."""
    unit = pixels.astype(np.float64) / 255.0
    curved = 0.5 + 0.5 * np.tanh(3.0 * (unit - 0.5)) / np.tanh(1.5)
    return (np.clip(curved, 0, 1) * 255).round().astype(np.uint8)


def blur(pixels: np.ndarray) -> np.ndarray:
    """Gaussian blur, sigma 1.2 px."""
    from PIL import Image, ImageFilter

    return np.asarray(Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(1.2)))


TASKS = {"grade": hidden_transform, "tone": tone_curve, "blur": blur}


def run_folder(workdir: Path, task: str, preset: str, label: str = "") -> Path:
    """``WORKDIR/<task>_<preset><label>``: where a run and its ``result.json`` live."""
    return workdir / f"{task}_{preset}{label}"


def run(task: str, preset: str, steps: int, crop: int, ngf: int, blocks: int, workdir: Path, seed: int = 0,
        overrides: dict | None = None, label: str = "", ema: float | None = None) -> dict:
    """Train one preset (with ``overrides`` of its settings) on one task and score A->B; writes and returns
    ``result.json`` in ``WORKDIR/<task>_<preset><label>``."""
    from common.train.loop import LoopConfig
    from translate.presets import PRESET_EMA, cyclegan_preset
    from translate.train import train_cyclegan
    from translate.translator import Translator

    transform = TASKS[task]
    run_dir = run_folder(workdir, task, preset, label)
    test_images = build_domains(run_dir / "data", short_side=crop + crop // 4, transform=transform)
    half = epochs_per_phase(steps)
    ema = PRESET_EMA[preset] if ema is None else ema
    requested, overrides = dict(overrides or {}), dict(overrides or {})
    generator = {"ngf": ngf, "n_blocks": blocks, **_nested(overrides, "generator")}
    discriminator = {"ndf": ngf, "n_layers": 3 if crop >= 64 else 2, **_nested(overrides, "discriminator")}
    config = cyclegan_preset(
        preset, str(run_dir / "data"), generator=generator, domains=("A", "B"), load_size=crop, crop_size=crop, preprocess="crop",
        n_epochs=half, n_epochs_decay=half, **overrides,
    )
    config = replace(config, discriminator=replace(config.discriminator, **discriminator))
    loop = LoopConfig(max_steps=steps, batch_size=1, seed=seed, log_every=50, sample_every=500, checkpoint_every=500, ema_decay=ema)
    start = time.perf_counter()
    train_cyclegan(config, loop, run_dir / "run", resume=(run_dir / "run" / "checkpoints" / "last.pt").exists())
    seconds = time.perf_counter() - start
    translator = Translator.from_checkpoint(run_dir / "run", "A2B", device="cpu")
    model_psnr = [psnr(translator(image), transform(image)) for image in test_images]
    nothing_psnr = [psnr(image, transform(image)) for image in test_images]
    last = json.loads((run_dir / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    result = {
        "task": task, "preset": preset + label, "seed": seed, "ema": ema, "overrides": requested, "steps": steps, "crop": crop, "ngf": ngf, "blocks": blocks, "train_seconds": seconds,
        "a2b_psnr": float(np.mean(model_psnr)), "do_nothing_psnr": float(np.mean(nothing_psnr)),
        "gain_db": float(np.mean(model_psnr) - np.mean(nothing_psnr)),
        "last_log": {k: v for k, v in last.items() if k.startswith(("change_", "corr_", "d_acc", "cycle_error"))},
        "warnings": last.get("warnings", []),
    }
    (run_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _nested(overrides: dict, prefix: str) -> dict:
    """Pop ``prefix.field`` overrides (``--set discriminator.norm=none``) as ``{field: value}``."""
    return {key.split(".", 1)[1]: overrides.pop(key) for key in [k for k in overrides if k.startswith(prefix + ".")]}


def report(workdir: Path, grid_path: Path | None) -> None:
    """Print the table of every ``result.json`` under ``workdir`` and write a grid of held-out translations."""
    results = [json.loads(p.read_text()) for p in sorted(workdir.glob("*/result.json"))]
    print("| task | preset | A->B PSNR vs T(x) | doing nothing | gain | luminance corr. | steps | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        corr = r["last_log"].get("corr_A2B", float("nan"))
        print(f"| {r['task']} | {r['preset']} | {r['a2b_psnr']:.2f} | {r['do_nothing_psnr']:.2f} | {r['gain_db']:+.2f} dB | {corr:.2f} "
              f"| {r['steps']} | {r['train_seconds']:.0f} |")
    if grid_path is not None and results:
        _write_grid(workdir, results, grid_path)


def _write_grid(workdir: Path, results: list[dict], grid_path: Path, count: int = 2) -> None:
    """Rows per task and test image: input | one column per preset | truth T(x)."""
    from common.io.images import list_images, read_rgb8, write_image
    from translate.translator import Translator

    from benchmarks.cyclegan_hidden_transform import BSDS, _small

    tasks = sorted({r["task"] for r in results})
    presets = sorted(set.intersection(*({r["preset"] for r in results if r["task"] == t} for t in tasks)))  # columns every task has
    rows = []
    for task in tasks:
        crop = next(r["crop"] for r in results if r["task"] == task)
        translators = {p: Translator.from_checkpoint(run_folder(workdir, task, p) / "run", "A2B", device="cpu") for p in presets}
        for path in list_images([BSDS])[360:360 + count]:
            image = _small(read_rgb8(path), 2 * crop)[: 2 * crop, : 2 * crop]
            cells = [image] + [translators[p](image) for p in presets] + [TASKS[task](image)]
            rows.append(np.concatenate(cells, axis=1))
    write_image(grid_path, np.concatenate(rows, axis=0))
    print(f"\n{grid_path}: rows {', '.join(tasks)} x {count} held-out images; "
          f"columns input | {' | '.join(presets)} | truth")


def _overrides(identity: float | None, settings: list[str]) -> tuple[dict, str]:
    """Config overrides from ``--identity`` and ``--set FIELD=VALUE`` (values parsed as JSON, else kept as text),
    and the label that keeps their runs apart."""
    overrides, label = {}, ""
    if identity is not None:
        overrides["lambda_identity"], label = identity, f"_id{identity:g}"
    for setting in settings:
        field, _, text = setting.partition("=")
        try:
            overrides[field] = json.loads(text)
        except json.JSONDecodeError:
            overrides[field] = text
        label += f"_{field}{text}"
    return overrides, label


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS))
    parser.add_argument("--presets", nargs="+", default=["default", "reference"])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--workdir", default="runs/cyclegan_presets")
    parser.add_argument("--identity", type=float, help="override the presets' identity weight (the run is labelled _id<w>)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a CycleGANConfig field, e.g. --set lr=1e-4 --set pool_size=0 (the run is labelled with it)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (runs other than 0 are labelled _seed<n>)")
    parser.add_argument("--ema", type=float, help="EMA decay of the exported generators (default: the preset's; when given, the run is labelled _ema<d>)")
    parser.add_argument("--report", action="store_true", help="only print the table of finished runs and write the grid")
    parser.add_argument("--grid", help="with --report: write the sample grid here (PNG)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    if not args.report:
        for task in args.tasks:
            for preset in args.presets:
                overrides, label = _overrides(args.identity, args.set)
                label += (f"_seed{args.seed}" if args.seed else "") + (f"_ema{args.ema:g}" if args.ema is not None else "")
                try:
                    result = run(task, preset, args.steps, args.crop, args.ngf, args.blocks, workdir, seed=args.seed, overrides=overrides,
                                 label=label, ema=args.ema)
                except UserError as error:  # e.g. a stopped run of this label made when the preset was different
                    parser.exit(2, f"error: {error} (or start afresh: another --workdir, or remove {run_folder(workdir, task, preset, label)})\n")
                print(f"{task} / {preset}: gain {result['gain_db']:+.2f} dB ({result['train_seconds']:.0f} s)", flush=True)
    report(workdir, Path(args.grid) if args.grid else None)


if __name__ == "__main__":
    main()
