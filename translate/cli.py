"""``translate`` command line: a thin layer that fills configs and calls the library."""
from __future__ import annotations

import argparse
import sys

from common.cli.grammar import (
    POSITIVE_FLOAT, POSITIVE_INT, add_command, add_engine_arguments, add_export_arguments, add_output_arguments, make_parser, run_command,
)
from common.cli.video_runs import add_video_arguments
from common.core.console import log
from common.core.errors import UserError
from translate.train_command import add_train, run_train

DEFAULT_TILE_OVERLAP = 64


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "run", "translate images at full resolution")
    p.add_argument("inputs", nargs="+", metavar="PATH", help="the RUN directory first (unless --model), then image files, folders or quoted globs")
    p.add_argument("--direction", help="e.g. summer2winter (A2B for the classic layout); required with a RUN directory")
    p.add_argument("--model", help="a generator .safetensors, .onnx or junyanz *_net_G*.pth file instead of RUN")
    p.add_argument("--backend", choices=("auto", "torch", "onnx"), default="auto", help="engine (auto: onnx for .onnx files)")
    add_output_arguments(p, suffix_help="added to output names (default: _<direction>, or _translated with --model)")
    add_engine_arguments(p, tile=0, tile_help="tile size in pixels (0: whole image); InstanceNorm makes tiles approximate, so they are cross-faded",
                         overlap_help=f"pixels shared and cross-faded by neighbouring tiles (default: {DEFAULT_TILE_OVERLAP})")
    add_video_arguments(p)


def run_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common.cli.video_runs import run_videos, split_videos
    from common.io.batch import output_options_from_args, process_files

    inputs = list(args.inputs)
    source = args.model
    if source is None:
        source = inputs.pop(0)
        if not Path(source).is_dir():
            raise UserError(f"{source}: run directory not found (give a RUN folder first, or a model file with --model)")
    if not inputs:
        raise UserError("no input images given (after the RUN directory)")
    is_onnx = str(source).endswith(".onnx")
    if (args.backend == "onnx") != is_onnx and args.backend != "auto":
        raise UserError(f"{source}: --backend {args.backend} does not match this model file")
    overlap = DEFAULT_TILE_OVERLAP if args.tile_overlap is None else args.tile_overlap
    if is_onnx:  # onnxruntime only: torch is never imported on this path
        from export.onnx_translator import OnnxTranslator

        translator = OnnxTranslator(source, device=args.device, threads=args.threads, tile=args.tile, overlap=overlap)
    else:
        from common.core.device import limit_cpu_threads
        from translate.translator import Translator

        limit_cpu_threads(args.threads)
        translator = Translator.from_checkpoint(source, args.direction, device=args.device, tile=args.tile, overlap=overlap)
    suffix = args.suffix if args.suffix is not None else f"_{args.direction or translator.direction or 'translated'}"
    settings = f"model={source} direction={args.direction} backend={args.backend}"
    videos, images = split_videos(inputs)
    failures = run_videos(translator.translate_array, videos, args, suffix, "gansuite translate run", settings,
                          single=len(inputs) == 1) if videos else []
    if images:
        options = output_options_from_args(args, suffix, marker="gansuite translate run", output_suffixes=r"_\w+2\w+|_translated", settings=settings)
        failures += process_files(translator.translate_array, images, options, "translate")
    return 1 if failures else 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "export", "export one direction to a verified ONNX file")
    p.add_argument("run", help="run directory, generator .safetensors or junyanz *_net_G*.pth")
    p.add_argument("--direction", help="e.g. summer2winter; required with a run directory")
    add_export_arguments(p)


def run_export(args: argparse.Namespace) -> int:
    from export.int8_choice import int8_policy_from_args
    from translate.onnx import export_translate_model

    if args.input_size:
        raise UserError("--input-size: translation graphs are exported with dynamic shapes only (InstanceNorm sees the whole "
                        "image, so a generator runs best on the whole image, padded to a multiple of 4)")
    export_translate_model(args.run, args.direction, args.output, args.opset, args.fp16, args.overwrite, args.verify_image, args.int8,
                           int8_policy_from_args(args, translation=True), io=args.io)
    return 0


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "eval", "FID/KID of translated test images against a real target-domain folder")
    p.add_argument("run", help="run directory")
    p.add_argument("--direction", required=True, help="e.g. summer2winter")
    p.add_argument("--real", required=True, help="folder of real target-domain images")
    p.add_argument("--source", help="images to translate (default: the source domain's test folder of the run)")
    _add_fid_options(p)


def _add_fid_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--protocol", choices=("auto", "pytorch-fid", "torchvision"), default="auto",
                   help="pytorch-fid: the papers' TF Inception (auto when its weights are found); torchvision: comparable only with itself")
    p.add_argument("--inception-weights", help="the protocol's Inception weights (default: pytorch-fid's file in torch.hub's cache)")
    p.add_argument("--json", help="also write the scores to this JSON file")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")


def _add_fid(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "fid", "FID/KID between two folders of images")
    p.add_argument("folder_a", help="first folder of images (e.g. translated results)")
    p.add_argument("folder_b", help="second folder of images (e.g. real images of the target domain)")
    _add_fid_options(p)


def _fid_extractor(args: argparse.Namespace):
    """(extractor, protocol) for the options of :func:`_add_fid_options`."""
    from common.metrics.fid_inception import choose_extractor

    return choose_extractor(args.protocol, args.inception_weights, "cuda" if args.device.startswith("cuda") else "cpu")


def _write_scores(args: argparse.Namespace, scores: dict) -> None:
    if args.json:
        import json

        from common.core.files import write_bytes_atomic

        write_bytes_atomic(args.json, (json.dumps(scores, indent=2) + "\n").encode())


def run_fid(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common.core.console import console
    from translate.evaluate import score_folders

    extractor, protocol = _fid_extractor(args)
    scores = {**score_folders(Path(args.folder_a), Path(args.folder_b), extractor), "protocol": protocol}
    console.print(f"FID {scores['fid']:.2f}  KID {scores['kid'] * 1000:.2f} +- {scores['kid_std'] * 1000:.2f} (x1e-3)  "
                  f"({scores['n_a']} vs {scores['n_b']} images, {protocol} protocol)")
    _write_scores(args, scores)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common.core.console import console
    from translate.evaluate import default_source_folder, evaluate_translation
    from translate.translator import Translator

    extractor, protocol = _fid_extractor(args)
    source = Path(args.source) if args.source else default_source_folder(Path(args.run), args.direction)
    scores = evaluate_translation(Translator.from_checkpoint(args.run, args.direction, device=args.device), source, Path(args.real), extractor)
    scores["protocol"] = protocol
    console.print(f"{args.direction}: FID {scores['fid']:.2f}  KID {scores['kid'] * 1000:.2f} +- {scores['kid_std'] * 1000:.2f} (x1e-3)  "
                  f"({scores['n_translated']} translated vs {scores['n_real']} real, {protocol} protocol); untranslated inputs: "
                  f"FID {scores['fid_untranslated']:.2f}  KID {scores['kid_untranslated'] * 1000:.2f}")
    _write_scores(args, scores)
    return 0


def _add_download(sub: argparse._SubParsersAction) -> None:
    from translate.download import DATASETS

    p = add_command(sub, "download", "download a classic CycleGAN dataset (resumable, verified)")
    p.add_argument("name", choices=DATASETS, help="dataset name")
    p.add_argument("--root", default="datasets", help="folder the dataset is unpacked into")
    p.add_argument("--max-unpacked-gb", type=POSITIVE_FLOAT, default=20.0, help="refuse archives that unpack to more (zip-bomb guard)")
    p.add_argument("--max-files", type=POSITIVE_INT, default=200_000, help="refuse archives with more entries")
    p.add_argument("--base-url", help=argparse.SUPPRESS)


def run_download(args: argparse.Namespace) -> int:
    from translate.download import BASE_URL, download_dataset

    download_dataset(args.name, args.root, args.base_url or BASE_URL, int(args.max_unpacked_gb * 1e9), args.max_files)
    return 0


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "import", "convert a junyanz CycleGAN generator (.pth) to gansuite safetensors + JSON")
    p.add_argument("checkpoint", help="e.g. latest_net_G_A.pth or horse2zebra.pth")
    p.add_argument("-o", "--output", "--out", dest="output", required=True, help="NAME or NAME.safetensors (NAME.json is written beside it)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")


def run_import(args: argparse.Namespace) -> int:
    from common.weights.model_files import save_imported_model
    from translate.importers import import_cyclegan_generator

    model, meta = import_cyclegan_generator(args.checkpoint)
    path = save_imported_model(model, meta, args.output, args.overwrite)
    log(f"{args.checkpoint}: {meta['source_format']} -> {path}")
    return 0


COMMANDS = {"train": run_train, "run": run_run, "export": run_export, "eval": run_eval, "fid": run_fid, "download": run_download, "import": run_import}


def build_parser() -> argparse.ArgumentParser:
    parser, sub = make_parser("translate", "unpaired image-to-image translation (CycleGAN, CUT, FastCUT): train, run, export, evaluate, import")
    add_train(sub)
    _add_run(sub)
    _add_export(sub)
    _add_eval(sub)
    _add_fid(sub)
    _add_download(sub)
    _add_import(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
