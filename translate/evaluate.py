"""``translate eval``: FID/KID of translated source-domain test images against real target-domain images."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common.core.errors import UserError
from common.io.images import list_images, read_rgb8
from common.train.checkpoint import load_checkpoint
from translate.data import find_domain_folders
from common.metrics.fid import FeatureExtractor, features_of, frechet_distance, kernel_inception_distance
from translate.translator import Translator


def default_source_folder(run: Path, direction: str) -> Path:
    """The test (else train) folder of the direction's source domain, from the run's saved config."""
    config = load_checkpoint(run / "checkpoints" / "last.pt")["task_config"]
    domains = list(config["domains"])
    source = direction.split("2")[0]
    if source not in domains:
        raise UserError(f"{run}: direction {direction!r} does not start with one of the domains {domains}")
    folders = find_domain_folders(config["data"], *domains)
    if source == domains[0]:
        return folders.test_a or folders.train_a
    return folders.test_b or folders.train_b


def evaluate_translation(translator: Translator, source: Path, real: Path, extractor: FeatureExtractor) -> dict[str, Any]:
    """Translate every image of ``source`` (full resolution) and compare with ``real``; returns FID and KID."""
    source_paths, real_paths = list_images([source]), list_images([real])
    if len(source_paths) < 2 or len(real_paths) < 2:
        raise UserError(f"FID/KID need at least 2 images in each of {source} and {real}")
    translated = features_of((translator.translate_array(read_rgb8(p)) for p in source_paths), extractor)
    untranslated = features_of((read_rgb8(p) for p in source_paths), extractor)
    reference = features_of((read_rgb8(p) for p in real_paths), extractor)
    kid_mean, kid_std = kernel_inception_distance(translated, reference)
    return {"fid": frechet_distance(translated, reference), "kid": kid_mean, "kid_std": kid_std,
            # the "did anything happen" baseline: the inputs themselves against the target domain
            "fid_untranslated": frechet_distance(untranslated, reference), "kid_untranslated": kernel_inception_distance(untranslated, reference)[0],
            "n_translated": len(source_paths), "n_real": len(real_paths), "source": str(source), "real": str(real)}


def score_folders(folder_a: Path, folder_b: Path, extractor: FeatureExtractor) -> dict[str, Any]:
    """FID and KID between two folders of images (``translate fid``)."""
    for folder in (folder_a, folder_b):
        if not folder.is_dir():
            raise UserError(f"{folder}: folder not found")
    paths_a, paths_b = list_images([folder_a]), list_images([folder_b])
    if len(paths_a) < 2 or len(paths_b) < 2:
        raise UserError(f"FID/KID need at least 2 images in each of {folder_a} and {folder_b}")
    features_a = features_of((read_rgb8(p) for p in paths_a), extractor)
    features_b = features_of((read_rgb8(p) for p in paths_b), extractor)
    kid_mean, kid_std = kernel_inception_distance(features_a, features_b)
    return {"fid": frechet_distance(features_a, features_b), "kid": kid_mean, "kid_std": kid_std, "n_a": len(paths_a), "n_b": len(paths_b)}
