"""PSNR / SSIM / LPIPS of upscalers on degraded photos: the table behind the GAN default (issue 23).

    python benchmarks/perceptual_eval.py --sets val --models bicubic clean default@0.25 \
        "gan@0.25=blend:runs/gan_x4_detail,runs/gan_x4_denoise" [--niqe] [--json out.json]

Sets (every LR made by the seeded real-world recipe, ``superres eval --degraded``):
- ``val``: the first 40 dog photos of cat2dog's testB: the validation set that choices are made on;
- ``Set5``, ``Set14``: report only, never used to choose anything;
- ``cats``: the first 40 cat photos of cat2dog's testA (report only).

Models: ``bicubic``; anything ``--model`` takes (``default``, ``gan``, ``clean``, a run folder, a released
``.pth``); ``NAME@S`` sets the denoise strength of an embedded model; ``LABEL@S=blend:DETAIL,DENOISE`` blends two run
folders or weight files at strength S (as ``--denoise`` blends the shipped pair); ``int8`` / ``int8:NAME`` the shipped
int8 file of ``default`` / of embedded model NAME.
LPIPS: VGG16 and the v0.1 heads from ../shared/data/weights (LPIPS on RGB with the protocol's border crop).
``--niqe`` adds NIQE (no reference, lower is more natural; BasicSR's pristine model, border 4) on the images large
enough for it (two 96-pixel blocks after the border: all of Set5 and Set14, few of the small val and cats photos).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {"val": (SHARED / "translate" / "cat2dog" / "testB", 40), "cats": (SHARED / "translate" / "cat2dog" / "testA", 40),
        "Set5": (SHARED / "sr" / "Set5", None), "Set14": (SHARED / "sr" / "Set14", None)}


def load_set(name: str):
    from common.io.images import list_images
    from superres.data import load_eval_set

    folder, count = SETS[name]
    if count is None:
        return load_eval_set(folder, 4, degraded=True)
    with tempfile.TemporaryDirectory() as tmp:
        for path in list_images([folder])[:count]:
            (Path(tmp) / path.name).symlink_to(path.resolve())
        return load_eval_set(tmp, 4, degraded=True)


def engine(spec: str):
    """(label, uint8 (1, 3, h, w) -> uint8 (1, 3, H, W) function) for a model spec of the module docstring."""
    from superres.denoise import load_blended_model
    from superres.evaluate import bicubic_upscale, torch_model_upscaler
    from superres.pretrained import load_sr_model, resolve_model_path

    cpu = torch.device("cpu")
    if spec == "bicubic":
        return spec, lambda lr: bicubic_upscale(lr, 4)
    if spec == "int8" or spec.startswith("int8:"):
        from export.onnx_upscaler import OnnxUpscaler
        from superres.weights import int8_path

        onnx = OnnxUpscaler(int8_path(spec.partition(":")[2] or "default"), device="cpu", tile=0)
        return spec, lambda lr: torch.from_numpy(onnx.upscale_array(lr[0].permute(1, 2, 0).numpy())).permute(2, 0, 1)[None]
    label, _, target = spec.partition("=")
    if target.startswith("blend:"):
        name, _, strength = label.partition("@")
        detail, denoise = (resolve_model_path(p) for p in target[len("blend:"):].split(","))
        return label, torch_model_upscaler(load_blended_model(detail, denoise, float(strength or 0.25))[0], cpu)
    name, _, strength = spec.partition("@")
    model = load_sr_model(name, denoise=float(strength) if strength else None)[0]
    return spec, torch_model_upscaler(model, cpu)


def score_set(upscale, pairs, lpips, references, niqe_params=None) -> dict[str, float]:
    """Mean Y-PSNR / SSIM (protocol, border 4) and LPIPS (RGB, border 4) against cached reference features; NIQE
    (border 4) with ``niqe_params``."""
    from common.metrics.lpips import lpips_from_features
    from common.metrics.sr_protocol import sr_scores
    from common.core.errors import UserError
    from superres.evaluate import niqe_score

    totals = {"psnr": 0.0, "ssim": 0.0, "lpips": 0.0}
    niqe_values = []
    for pair, reference in zip(pairs, references):
        output = upscale(pair.lr)
        psnr, ssim = sr_scores(output, pair.hr, 4)
        features = lpips.features(output[..., 4:-4, 4:-4].float() / 255)
        totals["psnr"] += psnr.item()
        totals["ssim"] += ssim.item()
        totals["lpips"] += lpips_from_features(features, reference, lpips.heads).item()
        if niqe_params is not None:
            try:
                niqe_values.append(niqe_score(niqe_params, output, 4))
            except UserError:  # fewer than two 96-px blocks (common.metrics.niqe says so): left unscored
                pass
    means = {k: v / len(pairs) for k, v in totals.items()}
    if niqe_values:  # NIQE needs two 96-px blocks: the small photos of val and cats have one, and go unscored
        means |= {"niqe": sum(niqe_values) / len(niqe_values), "niqe_images": len(niqe_values)}
    return means


def _fetched_niqe_params() -> Path | None:
    found = sorted((Path(__file__).resolve().parents[1] / ".data").glob("basicsr-*/basicsr/metrics/niqe_pris_params.npz"))
    return found[-1] if found else None


def _cell(m: dict[str, float]) -> str:
    return f"{m['psnr']:.2f} / {m['ssim']:.4f} / {m['lpips']:.4f}" + (f" / {m['niqe']:.2f}" if "niqe" in m else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["val"], choices=list(SETS))
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--niqe", action="store_true", help="also NIQE (no reference; lower is more natural)")
    parser.add_argument("--niqe-params", help="niqe_pris_params.npz (default: the installed basicsr package's; "
                        "tests/tools/fetch_basicsr_source.py puts one in .data/)")
    parser.add_argument("--json")
    args = parser.parse_args()
    from common.metrics.lpips import LPIPS
    from common.metrics.niqe import find_niqe_params, load_niqe_params

    torch.set_grad_enabled(False)
    lpips = LPIPS.from_files(SHARED / "weights" / "lpips_v0.1_vgg.pth", SHARED / "weights" / "vgg16_imagenet_features_torchvision_norm.pth")
    sets = {name: load_set(name) for name in args.sets}
    references = {name: [lpips.features(p.hr[..., 4:-4, 4:-4].float() / 255) for p in pairs] for name, pairs in sets.items()}
    niqe_params = load_niqe_params(find_niqe_params(args.niqe_params or _fetched_niqe_params())) if args.niqe else None
    results: dict[str, dict[str, dict[str, float]]] = {}
    for spec in args.models:
        label, upscale = engine(spec)
        results[label] = {name: score_set(upscale, pairs, lpips, references[name], niqe_params) for name, pairs in sets.items()}
        print(f"{label}: " + "  ".join(f"{n} {_cell(m)}" for n, m in results[label].items()), flush=True)
    print("\n| x4, degraded LR: Y-PSNR / SSIM / LPIPS" + (" / NIQE" if args.niqe else "") + " | " + " | ".join(args.sets) + " |")
    print("|---|" + "---|" * len(args.sets))
    for label, row in results.items():
        print(f"| {label} | " + " | ".join(_cell(m) for m in row.values()) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
