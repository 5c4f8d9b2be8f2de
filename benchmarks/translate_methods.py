"""CycleGAN, CUT and FastCUT after the same wall time on this CPU: FID/KID on cat2dog, seconds per step, peak memory.

    python benchmarks/translate_methods.py [--minutes 20] [--methods cyclegan cut fastcut] \\
        [--data ../shared/data/translate/cat2dog] [--workdir runs/methods] [--out benchmarks/results/translate_methods]

Each method runs `translate train` with its CPU-sized defaults (128 px crops, ngf 32, 6 blocks) in its own
process: a 12-step timing run first, then as many steps as fit in the budget at that pace, the schedule decaying
over the second half. Then `translate eval` translates testA and scores it against testB by the pytorch-fid
protocol, next to the untranslated testA (the "did anything happen" baseline). Peak memory is each training
process's own ru_maxrss (os.wait4).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCEPTION = ROOT.parent / "shared" / "data" / "weights" / "pt_inception_fid_nofc.pth"


def train(method: str, data: Path, run: Path, steps: int, log: Path | None = None) -> dict:
    """One training process; returns its wall time, peak memory and steady seconds per step."""
    if run.exists():
        shutil.rmtree(run)
    command = [sys.executable, "-m", "translate.cli", "train", "--data", str(data), "--domains", "A", "B", "-o", str(run),
               "--method", method, "--max-steps", str(steps), "--log-every", "25", "--sample-every", "250",
               "--checkpoint-every", "500", "--device", "cpu"]
    started = time.perf_counter()
    with open(log or os.devnull, "w") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{method}: training failed (see {log})")
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return {"steps": steps, "wall_s": time.perf_counter() - started, "peak_rss_mb": usage.ru_maxrss / 1024,
            "s_per_step": 1 / records[-1]["it_per_s"]}


def evaluate(run: Path, data: Path, json_out: Path) -> dict:
    command = [sys.executable, "-m", "translate.cli", "eval", str(run), "--direction", "A2B", "--source", str(data / "testA"),
               "--real", str(data / "testB"), "--inception-weights", str(INCEPTION), "--json", str(json_out), "--device", "cpu"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(json_out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--methods", nargs="+", default=["cyclegan", "cut", "fastcut"])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "translate" / "cat2dog")
    parser.add_argument("--workdir", type=Path, default=ROOT / "runs" / "methods")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "translate_methods")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for method in args.methods:
        timing = train(method, args.data, args.workdir / f"{method}_timing", 12)
        steps = max(50, int(args.minutes * 60 / timing["s_per_step"]) // 50 * 50)
        print(f"{method}: {timing['s_per_step']:.2f} s/step in the timing run -> {steps} steps", flush=True)
        results[method] = train(method, args.data, args.workdir / method, steps, args.out / f"{method}_train.log")
        print(f"{method}: {results[method]}", flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    for method in args.methods:
        results[method]["eval"] = evaluate(args.workdir / method, args.data, args.out / f"{method}_eval.json")
        print(f"{method}: {results[method]['eval']}", flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
