"""Settings of the second-order degradation model, a frozen dataclass saved with the model it trained.

The defaults are the published ranges of Real-ESRGAN x4plus (``options/train_realesrgan_x4plus.yml``);
:func:`light` is the milder variant used for the detail-keeping end of ``--denoise``.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.core.config import config_from_dict, config_to_dict
from common.core.errors import UserError

KERNEL_KINDS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
RESIZE_MODES = ("area", "bilinear", "bicubic")


@dataclass(frozen=True)
class DegradationPass:
    """One blur -> resize -> noise -> JPEG pass.

    Attributes:
        blur_prob: probability of blurring at all (the first pass always blurs).
        kernel_sizes: smallest and largest odd kernel size.
        kernel_probs: probabilities of the kinds in :data:`KERNEL_KINDS` (iso, aniso, generalized iso and
            aniso, plateau iso and aniso).
        sinc_prob: probability of a sinc (ringing) kernel instead of the above.
        blur_sigma: range of the Gaussian sigma in pixels.
        generalized_beta / plateau_beta: shape exponent ranges of the generalized and plateau kernels.
        resize_probs: probabilities of resizing up, down or keeping the size.
        resize_range: scale range (up draws from [1, max], down from [min, 1]).
        gaussian_noise_prob: probability of Gaussian noise; Poisson noise otherwise.
        noise_sigma: Gaussian noise sigma range on the 0-255 scale.
        poisson_scale: Poisson noise strength range.
        gray_noise_prob: probability that the noise is the same on all channels (luminance noise).
        jpeg_quality: JPEG quality range.
    """

    blur_prob: float = 1.0
    kernel_sizes: tuple[int, int] = (7, 21)
    kernel_probs: tuple[float, ...] = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)
    sinc_prob: float = 0.1
    blur_sigma: tuple[float, float] = (0.2, 3.0)
    generalized_beta: tuple[float, float] = (0.5, 4.0)
    plateau_beta: tuple[float, float] = (1.0, 2.0)
    resize_probs: tuple[float, float, float] = (0.2, 0.7, 0.1)
    resize_range: tuple[float, float] = (0.15, 1.5)
    gaussian_noise_prob: float = 0.5
    noise_sigma: tuple[float, float] = (1.0, 30.0)
    poisson_scale: tuple[float, float] = (0.05, 3.0)
    gray_noise_prob: float = 0.4
    jpeg_quality: tuple[float, float] = (30.0, 95.0)


SECOND_PASS = DegradationPass(
    blur_prob=0.8, blur_sigma=(0.2, 1.5), resize_probs=(0.3, 0.4, 0.3), resize_range=(0.3, 1.2),
    noise_sigma=(1.0, 25.0), poisson_scale=(0.05, 2.5),
)


@dataclass(frozen=True)
class DegradationConfig:
    """The whole second-order model: two passes, the final resize to LR size, a final sinc and JPEG.

    Attributes:
        first / second: the two passes (the second runs with ``second_pass_prob``).
        second_pass_prob: probability of running the second pass at all (its blur has its own probability).
        final_sinc_prob: probability of the final sinc filter.
        jpeg_codec: ``libjpeg`` (a real encoder, exact blocks) or ``kornia`` (differentiable approximation).
        sharpen_targets: unsharp-mask the HR targets (Real-ESRGAN's ``gt_usm``).
    """

    first: DegradationPass = field(default_factory=DegradationPass)
    second: DegradationPass = SECOND_PASS
    second_pass_prob: float = 1.0
    final_sinc_prob: float = 0.8
    jpeg_codec: str = "libjpeg"
    sharpen_targets: bool = False


def light(config: DegradationConfig = DegradationConfig()) -> DegradationConfig:
    """Milder ranges for ordinary phone and web photos: less blur, gentler resizing, a third of the noise, JPEG
    40-95, the second pass and the final sinc half the time. A model trained on it keeps fine texture; it is the
    detail-keeping end of the embedded model's ``--denoise``."""
    first = dataclasses.replace(config.first, blur_sigma=(0.2, 2.0), resize_probs=(0.2, 0.5, 0.3), resize_range=(0.5, 1.2),
                                noise_sigma=(1.0, 10.0), poisson_scale=(0.05, 1.0), jpeg_quality=(40.0, 95.0))
    second = dataclasses.replace(config.second, blur_sigma=(0.2, 1.0), resize_range=(0.6, 1.2), noise_sigma=(1.0, 8.0),
                                 poisson_scale=(0.05, 0.8), jpeg_quality=(40.0, 95.0))
    return dataclasses.replace(config, first=first, second=second, second_pass_prob=0.5, final_sinc_prob=0.5)


def _check_range(name: str, values: tuple[float, ...], low: float, high: float) -> None:
    numbers = isinstance(values, tuple) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if not numbers or len(values) != 2 or not low <= values[0] <= values[1] <= high:
        shown = list(values) if isinstance(values, tuple) else repr(values)
        raise UserError(f"degradation setting {name}: {shown} is not a [min, max] range of numbers within [{low}, {high}]")


def _check_probs(name: str, values: tuple[float, ...], count: int) -> None:
    numbers = isinstance(values, tuple) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if not numbers or len(values) != count or any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
        raise UserError(f"degradation setting {name}: {list(values)} must be {count} non-negative probabilities summing to 1")


def validate_degradation_config(config: DegradationConfig) -> DegradationConfig:
    """Raise :class:`UserError` naming the first setting out of range; return the config unchanged."""
    for label, p in (("first", config.first), ("second", config.second)):
        for name in ("blur_prob", "sinc_prob", "gaussian_noise_prob", "gray_noise_prob"):
            _check_range(f"{label}.{name}", (getattr(p, name),) * 2, 0, 1)
        sizes = p.kernel_sizes
        _check_range(f"{label}.kernel_sizes", sizes, 3, 31)
        if any(not float(size).is_integer() or size % 2 == 0 for size in sizes):
            raise UserError(f"degradation setting {label}.kernel_sizes: {list(sizes)} must be odd sizes within [3, 31]")
        _check_probs(f"{label}.kernel_probs", p.kernel_probs, len(KERNEL_KINDS))
        _check_probs(f"{label}.resize_probs", p.resize_probs, 3)
        _check_range(f"{label}.blur_sigma", p.blur_sigma, 0.05, 20)
        _check_range(f"{label}.generalized_beta", p.generalized_beta, 0.1, 10)
        _check_range(f"{label}.plateau_beta", p.plateau_beta, 0.1, 10)
        _check_range(f"{label}.resize_range", p.resize_range, 0.05, 4)
        _check_range(f"{label}.noise_sigma", p.noise_sigma, 0, 255)
        _check_range(f"{label}.poisson_scale", p.poisson_scale, 0, 50)
        _check_range(f"{label}.jpeg_quality", p.jpeg_quality, 1, 100)
    _check_range("second_pass_prob", (config.second_pass_prob,) * 2, 0, 1)
    _check_range("final_sinc_prob", (config.final_sinc_prob,) * 2, 0, 1)
    if config.jpeg_codec not in ("libjpeg", "kornia"):
        raise UserError(f"degradation setting jpeg_codec: {config.jpeg_codec!r} is not libjpeg or kornia")
    return config


def degradation_config_from_dict(values: dict[str, Any], origin: str = "degradation config") -> DegradationConfig:
    """Build a config from (possibly partial) saved settings; missing ones keep their defaults.

    Raises:
        UserError: unknown setting names or values out of range, naming ``origin``.
    """
    if not isinstance(values, dict):
        raise UserError(f"{origin}: expected a JSON object of settings")
    merged = config_to_dict(DegradationConfig())
    for key, value in values.items():
        if key in ("first", "second") and isinstance(value, dict):
            unknown = set(value) - set(merged[key])
            if unknown:
                raise UserError(f"{origin}: unknown setting {key}.{sorted(unknown)[0]}")
            merged[key] = {**merged[key], **value}
        elif key not in merged:
            raise UserError(f"{origin}: unknown setting {key}")
        else:
            merged[key] = value
    try:
        return validate_degradation_config(config_from_dict(DegradationConfig, merged))
    except (TypeError, ValueError) as exc:  # a string or a nested list where a number belongs
        raise UserError(f"{origin}: a setting has the wrong type ({exc})") from None
    except UserError as exc:
        raise UserError(f"{origin}: {exc}") from None


def load_degradation_config(path: str | Path) -> DegradationConfig:
    """Read a JSON file of settings (any subset of :class:`DegradationConfig`, nested by pass).

    Raises:
        UserError: unreadable file, invalid JSON, unknown settings or values out of range.
    """
    path = Path(path)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the degradation config ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a JSON file ({exc})") from None
    return degradation_config_from_dict(values, str(path))
