"""``translate train --resume``: the run's own options come from its checkpoint, so a user passes only what
changes (``--max-steps``, the device, logging); an option that contradicts the run is one clear error line."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from common.core.config import config_from_dict, config_to_dict
from common.core.console import log
from common.core.errors import UserError

# option dest -> the config field it sets (generator./discriminator. for the networks' own fields)
OPTION_FIELDS = {
    "data": "data", "domains": "domains", "method": "method", "preset": "preset", "load_size": "load_size", "crop_size": "crop_size",
    "preprocess": "preprocess", "no_flip": "flip", "ngf": "generator.ngf", "ndf": "discriminator.ndf", "n_blocks": "generator.n_blocks",
    "norm": "generator.norm", "d_norm": "discriminator.norm", "upsample": "generator.upsample",
    "residual_output": "generator.residual_output", "input_skip": "generator.input_skip", "input_skip_gain": "generator.input_skip_gain",
    "gan_loss": "gan_loss", "lambda_cycle": "lambda_cycle", "cycle_lowpass": "cycle_lowpass", "identity": "lambda_identity",
    "lambda_nce": "lambda_nce", "num_patches": "num_patches", "lr": "lr", "n_epochs": "n_epochs", "n_epochs_decay": "n_epochs_decay",
    "pool_size": "pool_size",
}
# Loop options that decide the result (a change would break the exact resume), and those free to change.
LOOP_FIXED = {"batch_size": "batch_size", "seed": "seed", "ema": "ema_decay"}
LOOP_FREE = {"max_steps": "max_steps", "device": "device", "workers": "num_workers", "log_every": "log_every",
             "checkpoint_every": "checkpoint_every", "sample_every": "sample_every"}


def _field(config: dict[str, Any], path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return list(value) if isinstance(value, tuple) else value


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def resumed_config(args: argparse.Namespace, given: set[str], run_dir: Path, build_config: Callable, resolve_sizes: Callable):
    """The task and loop configs of the run in ``run_dir``, with the free options the user gave.

    Raises:
        UserError: no checkpoint to continue, or a given option that differs from the run's (naming both values).
    """
    from common.train.checkpoint import check_training_state, load_checkpoint
    from common.train.loop import LoopConfig, saved_with_new_defaults
    from translate.cut_train import CUTConfig
    from translate.train import CycleGANConfig

    checkpoint = run_dir / "checkpoints" / "last.pt"
    if not checkpoint.is_file():
        raise UserError(f"--resume: {run_dir} holds no checkpoint to continue ({checkpoint} is missing); drop --resume to start a run there")
    state = check_training_state(load_checkpoint(checkpoint), checkpoint, ["generator", "discriminator"], ["generator", "discriminator"])
    saved_task, saved_loop = state.get("task_config") or {}, state.get("loop_config") or {}
    method = saved_task.get("method", "cyclegan")
    if "method" in given and args.method != method:
        raise UserError(f"--method {args.method}: {run_dir} is a {method} run; resume it with its own method (or start a new run with -o)")
    args.method = method
    resolve_sizes(args, given, quiet=True)  # fills what was not given; only what was given is compared below
    current = build_config(args)
    typed = config_to_dict(current)
    for dest in sorted(given & set(OPTION_FIELDS)):
        path = OPTION_FIELDS[dest]
        ours, theirs = _field(typed, path), _field(saved_task, path)
        if theirs is not None and ours != theirs:
            raise UserError(f"{_flag(dest)} {getattr(args, dest)}: {run_dir} was trained with {path.split('.')[-1]} {theirs}; --resume continues "
                            "a run with its own options (drop the option, or start a new run with -o)")
    for dest, name in LOOP_FIXED.items():
        if dest in given and name in saved_loop and getattr(args, dest) != saved_loop[name]:
            raise UserError(f"{_flag(dest)} {getattr(args, dest)}: {run_dir} was trained with {dest.replace('_', ' ')} {saved_loop[name]}, "
                            "and an exact resume needs the same (drop the option)")
    config_class = CUTConfig if method != "cyclegan" else CycleGANConfig
    try:
        config = config_from_dict(config_class, saved_with_new_defaults(saved_task, current))
    except (TypeError, ValueError) as exc:
        raise UserError(f"{checkpoint}: its saved options cannot be read ({exc}); start a new run with -o") from None
    loop_values = saved_with_new_defaults(saved_loop, LoopConfig())
    loop_values.update({name: getattr(args, dest) for dest, name in LOOP_FREE.items() if dest in given})
    loop = config_from_dict(LoopConfig, loop_values)
    log(f"resuming {run_dir} with its own options ({method}, {config.crop_size} px, until step {loop.max_steps})")
    return config, loop
