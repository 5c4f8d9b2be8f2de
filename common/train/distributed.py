"""DDP under torchrun: process-group set-up (NCCL on CUDA, gloo on CPU) and module wrapping."""
from __future__ import annotations

import atexit
import os

import torch
import torch.distributed as dist
from torch import nn


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def init_distributed_if_launched(device: torch.device) -> torch.device:
    """Initialise the process group when started by torchrun (WORLD_SIZE > 1); return this rank's device."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return device
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    global _group_is_ours
    _group_is_ours = True
    # A last resort for a run that ends by an exception: leave the group before the interpreter tears down, since
    # a rank exiting with gloo's threads alive can abort ("terminate called without an active exception").
    atexit.register(_destroy_at_exit)
    return device


# Whether this module started the process group (torchrun), and so must end it; a caller's own group is left alone.
_group_is_ours = False


def _destroy_at_exit() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def finish_distributed() -> None:
    """End the process group we started, once every rank has finished training.

    Without the barrier, a rank that finishes first tears its gloo connections down while its peer is still
    saving the checkpoint, and at exit that rank can abort with SIGABRT ("terminate called without an active
    exception"), which torchrun reports as a failed run although every step was done and saved.
    """
    global _group_is_ours
    if _group_is_ours and dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    _group_is_ours = False


def wrap_ddp(module: nn.Module, device: torch.device) -> nn.Module:
    """DDP-wrap a module that has trainable parameters (no device_ids on CPU)."""
    if world_size() == 1 or not any(p.requires_grad for p in module.parameters()):
        return module
    if device.type == "cuda":
        return nn.parallel.DistributedDataParallel(module, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(module)


def unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def cleanup_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
