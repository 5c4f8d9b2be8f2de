"""CUT and FastCUT on the known-answer tasks of `benchmarks/cyclegan_presets.py`, at the CycleGAN default's wall time.

    python benchmarks/methods_known_answer.py --task grade [--methods cut fastcut] [--seconds S] \\
        [--workdir runs/cyclegan_presets] [--out benchmarks/results/cyclegan_presets]

The same domains (BSDS400 halves, B through the hidden transform T), crops, widths and depth as the presets'
runs (64 px, ngf 32, ndf 32, 6 blocks), trained with `translate train --method M` for as many steps as fit in S
seconds (default: the `<task>_default` CycleGAN run's own training time, read from its result.json, else from the
committed `benchmarks/results/cyclegan_presets/<task>_default.json`) at the pace of a 12-step timing run. That budget
was measured in another session, on a machine whose speed varies: `--cyclegan-steps 2000` instead makes it the
time a CycleGAN timing run made now takes for 2000 steps, so that every pace in the comparison is measured under
the same conditions. `--steps M=N` fixes a method's steps (no timing run).
A->B is scored as there: PSNR against T(x) on the 40 held-out images, next to doing nothing.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cyclegan_hidden_transform import build_domains, psnr  # noqa: E402
from benchmarks.cyclegan_presets import TASKS, run_folder  # noqa: E402

CROP, NGF, BLOCKS = 64, 32, 6
TIMING_STEPS = 12


def train(method: str, data: Path, run: Path, steps: int) -> float:
    """One `translate train` process; returns its seconds per step (the last logged pace)."""
    if run.exists():
        shutil.rmtree(run)
    command = [sys.executable, "-m", "translate.cli", "train", "--data", str(data), "--domains", "A", "B", "-o", str(run),
               "--method", method, "--max-steps", str(steps), "--load-size", str(CROP), "--crop-size", str(CROP),
               "--preprocess", "crop", "--ngf", str(NGF), "--ndf", str(NGF), "--n-blocks", str(BLOCKS),
               "--log-every", "25", "--sample-every", "500", "--checkpoint-every", "500", "--device", "cpu"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()][-1]
    return 1 / last["it_per_s"]


def cyclegan_default_seconds(workdir: Path, task: str) -> float:
    """The CycleGAN default preset's training time on ``task``: this machine's run if there is one, else the committed one."""
    local = run_folder(workdir, task, "default") / "result.json"
    committed = ROOT / "benchmarks" / "results" / "cyclegan_presets" / f"{task}_default.json"
    return json.loads((local if local.is_file() else committed).read_text())["train_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="grade")
    parser.add_argument("--methods", nargs="+", default=["cut", "fastcut"])
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--steps", nargs="+", default=[], metavar="METHOD=N", help="fixed steps for a method (no timing run)")
    parser.add_argument("--cyclegan-steps", type=int, help="budget: this many CycleGAN steps at the pace of a timing run made now")
    parser.add_argument("--workdir", type=Path, default=ROOT / "runs" / "cyclegan_presets")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cyclegan_presets")
    args = parser.parse_args()
    from translate.translator import Translator

    transform = TASKS[args.task]
    data = args.workdir / f"{args.task}_methods" / "data"
    test_images = build_domains(data, short_side=CROP + CROP // 4, transform=transform)
    budget = None if args.cyclegan_steps else args.seconds or cyclegan_default_seconds(args.workdir, args.task)
    fixed_steps = {method: int(n) for method, n in (item.split("=") for item in args.steps)}
    for method in args.methods:
        if method in fixed_steps:
            steps = fixed_steps[method]
            print(f"{method}: {steps} steps as asked (budget {budget or 0:.0f} s)", flush=True)
        else:
            if args.cyclegan_steps:  # timed right before the method, so that both paces share the machine's state
                cyclegan_pace = train("cyclegan", data, args.workdir / f"{args.task}_cyclegan_timing", TIMING_STEPS)
                budget = args.cyclegan_steps * cyclegan_pace
                print(f"cyclegan: {cyclegan_pace:.3f} s/step in the timing run -> {budget:.0f} s for {args.cyclegan_steps} steps", flush=True)
            pace = train(method, data, args.workdir / f"{args.task}_{method}_timing", TIMING_STEPS)
            steps = max(50, int(budget / pace) // 50 * 50)
            print(f"{method}: {pace:.2f} s/step in the timing run -> {steps} steps for {budget:.0f} s", flush=True)
        started = time.perf_counter()
        run = args.workdir / f"{args.task}_{method}" / "run"
        train(method, data, run, steps)
        seconds = time.perf_counter() - started
        translator = Translator.from_checkpoint(run, "A2B", device="cpu")
        model = float(np.mean([psnr(translator(image), transform(image)) for image in test_images]))
        nothing = float(np.mean([psnr(image, transform(image)) for image in test_images]))
        result = {"task": args.task, "method": method, "steps": steps, "crop": CROP, "ngf": NGF, "blocks": BLOCKS, "train_seconds": seconds,
                  "budget_seconds": budget, "a2b_psnr": model, "do_nothing_psnr": nothing, "gain_db": model - nothing}
        print(json.dumps(result), flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.task}_{method}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
