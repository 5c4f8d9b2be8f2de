"""Whether an int8 graph is worth shipping instead of its fp32 graph: close enough to fp32, and faster here.

On AVX2 CPUs without VNNI, int8 convolutions gain far less than on newer ones, and a deep plain stack such as
SRVGGNetCompact compounds the quantisation error of each of its 33 layers (62 levels off fp32 at best,
``benchmarks/int8_variants.py``). An ``--int8`` export measures both graphs and writes the fp32 one, saying why in
its metadata (``int8_fallback``), when the int8 one misses either bar.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.core.errors import UserError
from common.core.timing import interleaved_median_seconds

DEFAULT_MAX_LEVELS = 4  # max 8-bit level difference from PyTorch fp32 on the verification image
# Translation: InstanceNorm amplifies small int8 errors into a few isolated pixels tens of levels off while the
# image stays at 40+ dB from fp32 (a trained grade model: 42.4 dB, max 13 levels, A->B 0.1 dB from fp32 on 40
# held-out photos), so a generator is judged by PSNR against fp32 instead of its worst pixel.
TRANSLATION_MIN_PSNR = 38.0
MIN_SPEEDUP = 1.05  # int8 must beat fp32 by more than the run-to-run noise of one short timing
PROBE_SIZE = 96  # pixels per side of the timing probe: big enough for the conv kernels' steady state, cheap on RRDBNet


@dataclass(frozen=True)
class Int8Policy:
    """When to keep int8.

    Attributes:
        max_levels: the largest 8-bit level difference from fp32 accepted (``--int8-max-levels``).
        min_speedup: fp32 seconds / int8 seconds needed on the timing probe.
        keep: keep int8 whatever it measures (``--int8-keep``; the PSNR floor of the export still holds).
        min_psnr: the lowest PSNR against fp32 accepted (None: no such bar).
    """

    max_levels: int = DEFAULT_MAX_LEVELS
    min_speedup: float = MIN_SPEEDUP
    keep: bool = False
    min_psnr: float | None = None


TRANSLATION_POLICY = Int8Policy(max_levels=255, min_psnr=TRANSLATION_MIN_PSNR)


def int8_policy_from_args(args, translation: bool = False) -> Int8Policy:
    """The policy of an ``export`` command's ``--int8-max-levels`` / ``--int8-keep``; a ``translation`` export is
    judged by :data:`TRANSLATION_MIN_PSNR` and by levels only when ``--int8-max-levels`` is given.

    Raises:
        UserError: either option without ``--int8`` (it would be ignored).
    """
    if (args.int8_max_levels is not None or args.int8_keep) and not args.int8:
        raise UserError("--int8-max-levels and --int8-keep apply to an --int8 export")
    if translation:
        levels = TRANSLATION_POLICY.max_levels if args.int8_max_levels is None else args.int8_max_levels
        return Int8Policy(levels, keep=args.int8_keep, min_psnr=TRANSLATION_MIN_PSNR)
    return Int8Policy(DEFAULT_MAX_LEVELS if args.int8_max_levels is None else args.int8_max_levels, keep=args.int8_keep)


def int8_fallback_reason(max_level: int, int8_seconds: float | None, fp32_seconds: float | None, policy: Int8Policy,
                         psnr: float | None = None) -> str:
    """Why int8 should give way to fp32, or "" to keep it.

    Args:
        max_level: max 8-bit level difference of the int8 graph from PyTorch fp32.
        psnr: its PSNR against PyTorch fp32 (checked against ``policy.min_psnr``).
        int8_seconds / fp32_seconds: median seconds of one run of each graph on the same probe (None: not timed).
    """
    if policy.keep:
        return ""
    if max_level > policy.max_levels:
        return f"int8 differs from fp32 by {max_level} levels (bar {policy.max_levels})"
    if policy.min_psnr is not None and psnr is not None and psnr < policy.min_psnr:
        return f"int8 is {psnr:.1f} dB from fp32 (bar {policy.min_psnr:g} dB)"
    if int8_seconds is not None and fp32_seconds is not None and fp32_seconds < int8_seconds * policy.min_speedup:
        return f"int8 is not faster than fp32 on this CPU ({int8_seconds * 1000:.0f} ms against {fp32_seconds * 1000:.0f} ms a probe)"
    return ""


def time_graphs(paths: list[Path], input_range: tuple[float, float], multiple_of: int, rounds: int = 3) -> list[float]:
    """Median seconds per run of each ONNX file (same input) on one (1, C, PROBE_SIZE, PROBE_SIZE) input, rounds
    interleaved so that a noisy minute affects all of them alike (one untimed warm-up run each)."""
    import onnxruntime as ort

    sessions = [ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]) for path in paths]
    channels = int(sessions[0].get_inputs()[0].shape[1])
    side = max(multiple_of, PROBE_SIZE // multiple_of * multiple_of)
    low, high = input_range
    probe = (np.random.default_rng(0).random((1, channels, side, side), dtype=np.float32) * (high - low) + low).astype(np.float32)
    feeds = [{session.get_inputs()[0].name: probe} for session in sessions]
    for session, feed in zip(sessions, feeds):
        session.run(None, feed)
    return interleaved_median_seconds([lambda s=session, f=feed: s.run(None, f) for session, feed in zip(sessions, feeds)], rounds)
