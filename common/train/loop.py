"""One generic GAN training loop shared by every task.

A task supplies a *step object* (see :class:`TrainStep`) holding its networks, optimizers and schedulers, and
implementing its generator and discriminator phases in ``run``. The loop owns everything else: seeding, device
choice, DDP under torchrun, mixed precision on CUDA, EMA of the generator, deterministic data order, full-state
checkpoints with exact resume, SIGINT/SIGTERM checkpointing, rich progress, JSONL metrics, fixed sample grids,
periodic validation and exporting the generator.

Data order is a pure function of (seed, step, rank): sample ``i`` of step ``s`` on rank ``r`` has id
``(s * world + r) * batch + i`` and the dataset derives all its randomness from that id. Resuming at step ``s``
therefore sees exactly the batches an uninterrupted run would have seen, whatever the number of workers.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from common.core.config import config_to_dict
from common.core.console import escape, log
from common.core.device import resolve_device
from common.core.errors import UserError
from common.core.files import check_writable, write_bytes_atomic
from common.io.images import write_image
from common.nn.ema import EMA
from common.train import distributed
from common.train.checkpoint import check_training_state, load_checkpoint, save_checkpoint
from common.train.html_report import write_run_report
from common.train.progress import TrainingProgress
from common.train.rng import capture_rng_state, restore_rng_state, seed_everything
from common.train.run_folder import clear_run_without_checkpoint, locked_run_folder


@dataclass(frozen=True)
class LoopConfig:
    """Settings of the generic loop (task settings live in the task's own config).

    Attributes:
        max_steps: total optimisation steps of the run.
        batch_size: samples per step per process.
        seed: seeds weights, data order and every RNG.
        device: ``auto`` | ``cpu`` | ``cuda[:i]`` | ``mps``.
        mixed_precision: bf16 autocast on CUDA (ignored elsewhere).
        ema_decay: EMA of the generator; 0 disables (the raw generator is exported then).
        num_workers: DataLoader worker processes.
        log_every / checkpoint_every / sample_every / validate_every: intervals in steps (0 disables).
    """

    max_steps: int = 1000
    batch_size: int = 16
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True
    ema_decay: float = 0.999
    num_workers: int = 0
    log_every: int = 50
    checkpoint_every: int = 1000
    sample_every: int = 500
    validate_every: int = 1000


class TrainStep(Protocol):
    """What a task gives the loop.

    Attributes:
        nets: the raw trainable modules by name (``generator`` must be one); saved in checkpoints.
        wrapped: the same modules as the loop wrapped them (DDP when distributed); use these for forwards that
            must synchronise gradients.
        optimizers / schedulers: by name; saved in checkpoints. Schedulers are stepped by the task.

    A step may also define ``warnings(record) -> list[str]``: called with each averaged log record; its lines
    are printed, kept in ``metrics.jsonl`` and shown at the top of the run report.
    """

    nets: dict[str, nn.Module]
    wrapped: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    schedulers: dict[str, Any]

    def run(self, batch: Any, step: int, autocast: Any) -> dict[str, float]:
        """One training iteration (generator phase, then discriminator phase); returns scalar logs."""

    def extra_state(self) -> dict[str, Any]:
        """Task state beyond nets/optimizers/schedulers (e.g. image pools)."""

    def load_extra_state(self, state: dict[str, Any]) -> None: ...

    def sample_grid(self, generator: nn.Module, fixed_batch: Any) -> torch.Tensor:
        """(3, H, W) image in [0, 1] made from the fixed sample batch, in equal-width columns named by the
        step's ``sample_columns`` (labels in the run report)."""

    def validate(self, generator: nn.Module) -> dict[str, float]:
        """Validation metrics (may be empty)."""

    def export(self, generator: nn.Module, run_dir: Path, step: int) -> None:
        """Write the generator(s) ready for inference into the run directory."""


def step_sample_ids(step: int, batch_size: int, rank: int | None = None, world: int | None = None) -> list[int]:
    """The sample ids of ``step`` on ``rank`` (default: this process's), as the loop's sampler hands them out."""
    rank = distributed.rank() if rank is None else rank
    world = distributed.world_size() if world is None else world
    first = (step * world + rank) * batch_size
    return list(range(first, first + batch_size))


class StepSampler(Sampler[int]):
    """Endless sample ids for steps ``start_step, start_step + 1, ...`` of one rank."""

    def __init__(self, start_step: int, batch_size: int, rank: int, world: int):
        self.start_step, self.batch_size, self.rank, self.world = start_step, batch_size, rank, world

    def __iter__(self) -> Iterator[int]:
        step = self.start_step
        while True:
            yield from step_sample_ids(step, self.batch_size, self.rank, self.world)
            step += 1

    def __len__(self) -> int:  # endless; DataLoader only needs this for len(), which we never call
        return 2**62


class TrainingInterrupted(Exception):
    """Raised after a SIGINT/SIGTERM once the checkpoint is safely written."""

    def __init__(self, step: int, checkpoint: Path):
        super().__init__(f"training interrupted at step {step}; checkpoint saved to {checkpoint}")
        self.step, self.checkpoint = step, checkpoint


@contextlib.contextmanager
def _stop_flag_on_signals() -> Iterator[dict[str, bool]]:
    flag = {"stop": False}

    def handler(signum: int, frame: Any) -> None:
        flag["stop"] = True

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _worker_signal_handling(worker_id: int) -> None:
    """DataLoader workers survive a SIGINT/SIGTERM sent to the whole process group (Ctrl-C, systemd, Slurm,
    Kubernetes), which must reach the main process so it can save a checkpoint and then stop the workers itself;
    without this, the workers die first and the main process fails with "DataLoader worker ... is killed by
    signal" before it can save. A SIGTERM from the parent (the loader shutting its workers down) still ends the
    worker at once, as torch intends; telling the two apart needs the sender's pid, which only ``sigwaitinfo``
    gives, so SIGTERM is blocked and a watcher thread takes it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not hasattr(signal, "sigwaitinfo"):  # not Linux: keep torch's own handling
        return
    parent = os.getppid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

    def watch() -> None:
        while True:
            if signal.sigwaitinfo({signal.SIGTERM}).si_pid == parent:
                os._exit(0)

    threading.Thread(target=watch, name="sigterm-watch", daemon=True).start()


@contextlib.contextmanager
def _batches(loader: DataLoader) -> Iterator[Any]:
    """``iter(loader)`` whose worker processes are stopped when training ends, however it ends: an exception
    that a caller keeps (with its frames) would otherwise keep them alive until interpreter exit."""
    iterator = iter(loader)
    try:
        yield iterator
    finally:
        shutdown = getattr(iterator, "_shutdown_workers", None)  # private to torch, but the only deterministic stop
        if shutdown is not None:
            shutdown()


def _remove_stale_partials(run_dir: Path) -> None:
    """Temporary files left by a run that was killed (SIGKILL, power loss) while writing; we own the run now."""
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "samples"):
        if folder.is_dir():
            for stale in folder.glob(".*.partial"):
                stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _naming_write_failures(path: Path, step: int) -> Iterator[None]:
    """A full disk or a permission problem while saving names the final path and the step, not a temporary file."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"{path}: cannot write at step {step} ({exc.strerror or type(exc).__name__}); training stopped, "
                        "the previous checkpoint is kept") from None


ETA_AFTER_STEPS = 3  # timed steps before the run's length is estimated (the first includes warm-up, so several)
EARLY_SAMPLE_STEPS = (25, 50, 100, 200)  # a first look within minutes on a CPU, before the regular schedule


def run_eta_line(steps_timed: int, seconds: float, steps_left: int) -> str:
    """One line after the first few steps: the time per step measured here and how long the rest will take."""
    per_step = seconds / max(steps_timed, 1)
    left = per_step * steps_left
    finish = time.strftime("%H:%M", time.localtime(time.time() + left))
    hours, minutes = divmod(round(left / 60), 60)
    length = f"{left:.0f} s" if left < 60 else f"{f'{hours} h ' if hours else ''}{minutes} min"
    return f"{per_step:.2f} s/step on this machine: about {length} for the {steps_left} steps left (done about {finish})"


def early_sample_due(step: int, sample_every: int) -> bool:
    """Sample grids at :data:`EARLY_SAMPLE_STEPS` that come before the first regular one (``--sample-every``)."""
    return sample_every > 0 and step in EARLY_SAMPLE_STEPS and step < sample_every


def saved_with_new_defaults(saved: dict[str, Any], config: Any) -> dict[str, Any]:
    """A checkpoint's task config brought to today's fields: options added since it was written take their defaults
    (which, by the rule for adding an option, keep the old behaviour) and options since retired are dropped, so a
    run started by an earlier version resumes. Nested configs are treated alike."""
    if not dataclasses.is_dataclass(config) or not isinstance(saved, dict):
        return saved
    upgraded = {}
    for field in dataclasses.fields(config):
        current = getattr(config, field.name)
        if field.name in saved:
            value = saved[field.name]
            upgraded[field.name] = saved_with_new_defaults(value, current) if dataclasses.is_dataclass(current) else value
        elif field.default is not dataclasses.MISSING:
            upgraded[field.name] = json.loads(json.dumps(dataclasses.asdict(field.default) if dataclasses.is_dataclass(field.default) else field.default))
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
            upgraded[field.name] = config_to_dict(default) if dataclasses.is_dataclass(default) else json.loads(json.dumps(default))
    return upgraded


def _config_differences(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Names of the (nested) options whose values differ, e.g. ``lambda_cycle (10.0 -> 5.0)``."""
    names = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            names += _config_differences(old, new, f"{prefix}{key}.")
        elif old != new:
            names.append(f"{prefix}{key} ({old!r} -> {new!r})")
    return names


def _append_jsonl(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a") as handle:
        handle.write(json.dumps(record) + "\n")


def _truncate_jsonl(path: Path, last_step: int) -> None:
    """Drop log lines written after the checkpoint we resume from, so the log matches the resumed run."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short when the run was killed
        if isinstance(record, dict) and record.get("step", 0) <= last_step:
            kept.append(line)
    write_bytes_atomic(path, "".join(line + "\n" for line in kept).encode())


def _checkpoint_state(step_obj: TrainStep, ema: EMA | None, step: int, loop_config: LoopConfig, task_config: Any) -> dict[str, Any]:
    return {
        "step": step,
        "nets": {name: net.state_dict() for name, net in step_obj.nets.items()},
        "optimizers": {name: opt.state_dict() for name, opt in step_obj.optimizers.items()},
        "schedulers": {name: sched.state_dict() for name, sched in step_obj.schedulers.items()},
        "ema": ema.state_dict() if ema else None,
        "rng": capture_rng_state(),
        "extra": step_obj.extra_state(),
        "loop_config": config_to_dict(loop_config),
        "task_config": config_to_dict(task_config),
    }


def _restore(step_obj: TrainStep, ema: EMA | None, state: dict[str, Any]) -> int:
    for name, net in step_obj.nets.items():
        net.load_state_dict(state["nets"][name])
    for name, opt in step_obj.optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
    for name, sched in step_obj.schedulers.items():
        sched.load_state_dict(state["schedulers"][name])
    if ema is not None and state.get("ema") is not None:
        ema.load_state_dict(state["ema"])
    step_obj.load_extra_state(state.get("extra") or {})
    restore_rng_state(state["rng"])
    return int(state["step"])


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {key: _to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(value, device) for value in batch)
    return batch


def fit(
    step_obj: TrainStep,
    dataset: Dataset,
    run_dir: str | Path,
    loop_config: LoopConfig,
    task_config: Any,
    fixed_batch: Any = None,
    resume: bool = False,
    device: torch.device | None = None,
) -> dict[str, Any]:
    """Train ``step_obj`` on ``dataset`` until ``loop_config.max_steps``, holding ``run_dir`` against a second
    trainer (see :func:`common.train.run_folder.locked_run_folder`); see :func:`_fit` for the rest.

    Raises:
        UserError: ``run_dir`` is not writable, or another live process trains in it.
    """
    run_dir = Path(run_dir)
    if distributed.rank() != 0:
        last_logs = _fit(step_obj, dataset, run_dir, loop_config, task_config, fixed_batch, resume, device)
    else:
        check_writable(run_dir / "samples", str(run_dir))
        with locked_run_folder(run_dir):
            last_logs = _fit(step_obj, dataset, run_dir, loop_config, task_config, fixed_batch, resume, device)
    distributed.finish_distributed()
    return last_logs


def _fit(
    step_obj: TrainStep,
    dataset: Dataset,
    run_dir: str | Path,
    loop_config: LoopConfig,
    task_config: Any,
    fixed_batch: Any = None,
    resume: bool = False,
    device: torch.device | None = None,
) -> dict[str, Any]:
    """Train ``step_obj`` on ``dataset`` until ``loop_config.max_steps``.

    The caller builds ``step_obj`` on ``device`` (see :func:`prepare_device`) after seeding. The run directory
    receives ``checkpoints/last.pt``, ``metrics.jsonl``, ``samples/`` and whatever ``step_obj.export`` writes.

    Returns:
        The last logged metrics (including validation metrics if any).

    Raises:
        TrainingInterrupted: after SIGINT/SIGTERM, once the checkpoint is written.
        UserError: ``resume`` without a checkpoint, or a checkpoint of a different run configuration.
    """
    run_dir = Path(run_dir)
    main = distributed.rank() == 0
    device = device or resolve_device(loop_config.device)
    checkpoint_path = run_dir / "checkpoints" / "last.pt"
    metrics_path = run_dir / "metrics.jsonl"

    generator = step_obj.nets["generator"]
    ema = EMA(generator, loop_config.ema_decay) if loop_config.ema_decay > 0 else None

    start_step = 0
    if resume:
        state = check_training_state(load_checkpoint(checkpoint_path, map_location=device), checkpoint_path,
                                     list(step_obj.nets), list(step_obj.optimizers))
        saved_config = saved_with_new_defaults(state.get("task_config") or {}, task_config)
        if saved_config != config_to_dict(task_config):
            changed = ", ".join(_config_differences(saved_config, config_to_dict(task_config)))
            raise UserError(f"{checkpoint_path}: the checkpoint was made with other options: {changed}; resume with the same options")
        try:
            start_step = _restore(step_obj, ema, state)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
            reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{checkpoint_path}: does not fit this run's networks or optimizers ({type(exc).__name__}: {reason})") from None
        if main:
            _truncate_jsonl(metrics_path, start_step)
            log(f"resumed from {checkpoint_path} at step {start_step}")
    elif main and checkpoint_path.exists():
        raise UserError(f"{run_dir}: already holds a training run; pass --resume to continue it or choose another --out")
    elif main:
        clear_run_without_checkpoint(run_dir, metrics_path)

    if main:
        _remove_stale_partials(run_dir)
    step_obj.wrapped = {name: distributed.wrap_ddp(net, device) for name, net in step_obj.nets.items()}
    for net in step_obj.nets.values():
        net.train()

    use_amp = loop_config.mixed_precision and device.type == "cuda"

    def autocast() -> Any:
        return torch.autocast("cuda", dtype=torch.bfloat16) if use_amp else contextlib.nullcontext()

    sampler = StepSampler(start_step, loop_config.batch_size, distributed.rank(), distributed.world_size())
    # The loader's own generator: iter(loader) would otherwise draw its base seed from the global torch RNG
    # right after a resume restored it, shifting every later random draw (pools, dropout) against a straight run.
    loader = DataLoader(
        dataset, batch_size=loop_config.batch_size, sampler=sampler, num_workers=loop_config.num_workers,
        pin_memory=device.type == "cuda", persistent_workers=False, worker_init_fn=_worker_signal_handling,
        generator=torch.Generator().manual_seed(loop_config.seed),
    )
    exported_generator = lambda: ema.shadow if ema else generator  # noqa: E731

    saved_at = {"step": -1}

    def save(step: int) -> None:
        saved_at["step"] = step
        if main:
            with _naming_write_failures(checkpoint_path, step):
                save_checkpoint(checkpoint_path, _checkpoint_state(step_obj, ema, step, loop_config, task_config))
            with _naming_write_failures(run_dir, step):
                step_obj.export(exported_generator(), run_dir, step)

    def hit(every: int, step: int) -> bool:
        return every > 0 and (step % every == 0 or step == loop_config.max_steps)

    last_logs: dict[str, Any] = {}
    running: dict[str, float] = {}
    running_count = 0
    step = start_step
    started = time.perf_counter()
    if main:
        write_run_report(run_dir, f"{run_dir.name}: starting at step {start_step} of {loop_config.max_steps}", getattr(step_obj, "sample_columns", ()))
    if main and getattr(dataset, "description", ""):  # what is trained on, once the run is known to start
        log(dataset.description)
    with _stop_flag_on_signals() as stop, TrainingProgress(loop_config.max_steps, start_step) as progress, _batches(loader) as batches:
        while step < loop_config.max_steps:
            try:
                batch = _to_device(next(batches), device)
            except RuntimeError as exc:
                if not (stop["stop"] or "DataLoader worker" in str(exc)):
                    raise
                save(step)  # a worker was killed from outside: keep the work done so far
                distributed.cleanup_distributed()
                raise TrainingInterrupted(step, checkpoint_path) from None
            logs = step_obj.run(batch, step, autocast)
            step += 1
            if ema is not None:
                ema.update(generator, step)
            for key, value in logs.items():
                running[key] = running.get(key, 0.0) + float(value)
            running_count += 1

            if hit(loop_config.log_every, step):
                elapsed = time.perf_counter() - started
                record = {"step": step, **{k: v / running_count for k, v in running.items()}}
                record["lr"] = next(iter(step_obj.optimizers.values())).param_groups[0]["lr"]
                record["it_per_s"] = (step - start_step) / elapsed if elapsed > 0 else math.nan
                running, running_count = {}, 0
                warnings = step_obj.warnings(record) if hasattr(step_obj, "warnings") else []
                if warnings:
                    record["warnings"] = warnings
                    if main:
                        for line in warnings:
                            log(f"[yellow]warning[/] step {step}: {escape(line)}")
                if main:
                    _append_jsonl(metrics_path, record)
                last_logs = record
                progress.report(step, {k: v for k, v in record.items() if k not in ("step", "lr", "it_per_s", "warnings")})
            if main and step - start_step == ETA_AFTER_STEPS:
                log(run_eta_line(step - start_step, time.perf_counter() - started, loop_config.max_steps - step))
            if main and fixed_batch is not None and (hit(loop_config.sample_every, step) or early_sample_due(step, loop_config.sample_every)):
                with torch.no_grad():
                    grid = step_obj.sample_grid(exported_generator(), _to_device(fixed_batch, device))
                pixels = (grid.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
                write_image(run_dir / "samples" / f"step_{step:07d}.png", pixels)
                write_run_report(run_dir, f"{run_dir.name}: step {step} of {loop_config.max_steps}", getattr(step_obj, "sample_columns", ()))
            if main and hit(loop_config.validate_every, step):
                val = step_obj.validate(exported_generator())
                if val:
                    _append_jsonl(metrics_path, {"step": step, **val})
                    last_logs = {**last_logs, **val}
                    log(f"step {step}: " + "  ".join(f"{k} {v:.4f}" for k, v in val.items()))
            if hit(loop_config.checkpoint_every, step):
                save(step)
            progress.advance(step)
            if stop["stop"]:
                save(step)
                distributed.cleanup_distributed()
                raise TrainingInterrupted(step, checkpoint_path)
    if saved_at["step"] != step:
        save(step)
    if main:  # the run is over: the page stops reloading itself
        write_run_report(run_dir, f"{run_dir.name}: finished at step {step}", getattr(step_obj, "sample_columns", ()), live=False)
    return last_logs


def prepare_device(loop_config: LoopConfig) -> torch.device:
    """Seed every RNG and resolve the device, joining the torchrun process group when launched by it."""
    device = distributed.init_distributed_if_launched(resolve_device(loop_config.device))
    seed_everything(loop_config.seed)
    return device
