"""What a CycleGAN run of ``benchmarks/cyclegan_presets.py`` learned on its input path, and where its error lies.

    python benchmarks/cyclegan_input_path.py runs/cyclegan_presets/blur_default [more run folders ...]

For the A->B generator of each ``WORKDIR/<task>_<label>`` folder, prints the input-skip path of its last conv
(weights times ``input_skip_gain``, so as the input sees them): its response to a flat image (the sum of each
output channel's weights; 0 for a pure blur or sharpening, above 0 for a contrast boost in ``atanh`` space), its
centre taps and its largest weight. Then, on the 40 held-out images, the mean signed error against the true
transform T(x) in eight bands of T(x)'s value (0-31, 32-63, ...): a contrast boost shows as shadows too dark
and highlights too bright.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cyclegan_hidden_transform import BSDS, _small  # noqa: E402
from benchmarks.cyclegan_presets import TASKS  # noqa: E402


def input_path_summary(generator) -> dict:
    """Flat-image response, centre taps and largest weight of the input-skip path, per output channel."""
    config = generator.config
    if not config.input_skip:
        return {}
    last_conv = generator.model[-2]
    path = last_conv.weight.detach()[:, config.ngf:] * config.input_skip_gain  # (out, in, 7, 7)
    centre = path.shape[-1] // 2
    return {
        "flat_response": path.sum(dim=(1, 2, 3)).tolist(),
        "centre_taps": path[:, :, centre, centre].diagonal().tolist(),
        "largest_weight": path.abs().max().item(),
    }


def error_by_band(outputs: list[np.ndarray], truths: list[np.ndarray], bands: int = 8) -> list[float]:
    """Mean signed error (output - truth, in 8-bit levels) within each of ``bands`` equal bands of the truth."""
    out = np.concatenate([o.astype(np.float64).ravel() for o in outputs])
    truth = np.concatenate([t.astype(np.float64).ravel() for t in truths])
    band = np.minimum((truth * bands / 256).astype(int), bands - 1)
    return [float((out - truth)[band == b].mean()) if (band == b).any() else float("nan") for b in range(bands)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="folders WORKDIR/<task>_<label> of benchmarks/cyclegan_presets.py")
    args = parser.parse_args()
    from common.core.errors import UserError
    from common.io.images import list_images, read_rgb8
    from translate.translator import Translator, load_generator

    test_images = [_small(read_rgb8(path), 128) for path in list_images([BSDS])[360:]]
    for run in args.runs:
        task = run.name.split("_")[0]
        if task not in TASKS or not (run / "run" / "A2B.safetensors").is_file():
            parser.error(f"{run}: expected a folder <task>_<label> of benchmarks/cyclegan_presets.py (task one of "
                         f"{', '.join(sorted(TASKS))}) with run/A2B.safetensors")
        transform = TASKS[task]
        try:
            generator, _ = load_generator(run / "run", "A2B")
        except UserError as error:
            parser.error(str(error))
        summary = input_path_summary(generator)
        translator = Translator(generator, device="cpu")
        bands = error_by_band([translator(image) for image in test_images], [transform(image) for image in test_images])
        print(run.name)
        for key, value in summary.items():
            print(f"  {key}: {np.round(value, 3).tolist()}")
        print(f"  error by band of T(x) (levels): {np.round(bands, 1).tolist()}")


if __name__ == "__main__":
    main()
