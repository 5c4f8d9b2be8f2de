"""Every command in the README's code blocks, run as written (in README order) on tiny data made here.

Training commands get small sizes and step counts appended (later options win in argparse); commands that
need what CI does not have (a download, VGG19 or Inception weights, the install itself) are parsed only. A
README command with no entry in :data:`EXPECTED` fails the test, so a new command must say what it promises.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from common.io.images import read_image, write_image
from superres import cli as superres_cli
from superres.compact import CompactConfig, CompactSR
from superres.rrdbnet import RRDBNet, RRDBNetConfig
from tests.common.video.clips import make_clip
from tests.helpers import make_image_folder
from tests.helpers_checkpoints import to_reference_names
from translate import cli as translate_cli
from translate.models import ResnetGenerator, ResnetGeneratorConfig

ROOT = Path(__file__).resolve().parents[1]
CLIS = {"superres": superres_cli, "translate": translate_cli}
NOT_RUN = ("python3 -m venv", ".venv/bin/python -m pytest")  # the install (CI runs it) and this very suite
PARSE_ONLY = (re.compile(r"^translate download "), re.compile(r"^translate eval "), re.compile(r"--stage gan"), re.compile(r"lpips"),
              re.compile(r"--model realesr-general-x4v3 "))  # by name: a download (tests/superres/test_named_models.py serves one)
SMALL = {
    ("superres", "train"): ["--blocks", "1", "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--device", "cpu"],
    ("translate", "train"): ["--ngf", "4", "--ndf", "4", "--n-blocks", "6", "--load-size", "28", "--crop-size", "24",
                             "--workers", "0", "--device", "cpu"],
}

# command prefix -> what must exist afterwards (paths relative to the workspace); "==" entries list a whole folder
EXPECTED: dict[str, list[str]] = {
    "superres upscale photos/monarch.png": ["photos/monarch_x4.png"],
    "superres upscale photos/ more/*.jpg -o out/ --outscale 2": ["out/==monarch_x2.png,snow_x2.jpg"],
    "superres upscale --denoise 1 photos/monarch.png": ["monarch_dn.png"],
    "superres upscale --model clean photos/monarch.png": ["monarch_clean.png"],
    "superres upscale --model gan photos/monarch.png": ["monarch_gan.png"],
    "superres upscale --frames 0:48 clip.mp4": ["preview.mp4"],
    "superres upscale clip.mp4": ["clip_x4.mp4"],
    "superres degrade photos/ -o degraded/": ["degraded/monarch_lr.png"],
    "superres train --data ../shared/data/sr/train --scale 4 -o runs/x4_real --degradation realistic": ["runs/x4_real/model.safetensors"],
    "superres upscale photo.png --model RealESRGAN_x4plus.pth": ["photo_x4plus.png"],
    "superres upscale photo.png --model realesr-general-x4v3 ": [],
    "superres info swift_srgan_4x.pth.tar": [],
    "superres import realesr-general-x4v3.pth": ["models/general_x4v3.safetensors", "models/general_x4v3.json"],
    "superres upscale photo.png --model models/general_x4v3.safetensors": ["photo_general.png"],
    "superres export RealESRGAN_x4plus.pth": ["x4plus_int8.onnx"],
    "translate run --model horse2zebra.pth": ["zebras/==horse_translated.jpg"],
    "translate import latest_net_G_A.pth": ["models/horse2zebra.safetensors", "models/horse2zebra.json"],
    "superres train --data ../shared/data/sr/train --scale 4 -o runs/x4 --max-steps 20000": ["runs/x4/model.safetensors", "runs/x4/index.html"],
    "superres train --data ../shared/data/sr/train --scale 4 -o runs/x4 --max-steps 30000 --resume": ["runs/x4/model.safetensors"],
    "superres eval --data ../shared/data/sr/Set5 --scale 4": ["scores.json"],
    "superres eval --degraded --data ../shared/data/sr/Set5 --model runs/x4 --metrics": [],
    "superres eval --degraded --data ../shared/data/sr/Set5 --model runs/x4_real": [],
    "superres compare photos/monarch.png": ["compare.png"],
    "superres train --data ../shared/data/sr/train --scale 4 -o runs/x4_gan --stage gan": [],
    "translate download": [],
    "translate train --data datasets/summer2winter_yosemite": ["runs/yosemite/A2B.safetensors", "runs/yosemite/B2A.safetensors"],
    "translate train --data photos": ["runs/s2w/summer2winter.safetensors", "runs/s2w/index.html"],
    "translate train --domains summer winter": ["runs/summer2winter/winter2summer.safetensors"],
    "translate train --method cut --data photos": ["runs/s2w_cut/summer2winter.safetensors"],
    "translate train -o runs/s2w_cut --domains summer winter --resume": ["runs/s2w_cut/summer2winter.safetensors"],
    "translate run runs/s2w --direction summer2winter holiday": ["holiday_winter/==h1_summer2winter.jpg,h2_summer2winter.jpg"],
    "translate run runs/s2w --direction summer2winter clip.mp4": ["clip_winter.mp4"],
    "translate eval": [],
    "superres export default -o sr_x4.onnx": ["sr_x4.onnx"],
    "superres export default -o sr_x4_int8.onnx": ["sr_x4_int8.onnx"],
    "superres export default -o sr_x4_fp16.onnx": ["sr_x4_fp16.onnx"],
    "translate export runs/s2w": ["s2w.onnx"],
    "superres upscale photo.png --model sr_x4.onnx": ["photo_onnx.png"],
    "translate run --model s2w.onnx": ["winter_onnx/==h1_summer2winter.jpg,h2_summer2winter.jpg"],  # named after the direction
}


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def readme_commands() -> list[list[str]]:
    commands = []
    for block in readme_blocks("bash"):
        for line in block.splitlines():
            if line.strip() and not line.strip().startswith(NOT_RUN):
                commands.append(shlex.split(line, comments=True))
    return commands


def expectation(argv: list[str]) -> list[str]:
    line = " ".join(argv)
    matches = [prefix for prefix in EXPECTED if line.startswith(prefix)]
    assert len(matches) == 1, f"README command {line!r} has {len(matches)} entries in EXPECTED (needs exactly one)"
    return EXPECTED[matches[0]]


def save_released_models(folder: Path) -> None:
    """Tiny models in the released layouts, under the released file names."""
    torch.manual_seed(0)
    torch.save({"params_ema": RRDBNet(RRDBNetConfig(num_features=8, num_blocks=1, growth=4)).state_dict()}, folder / "RealESRGAN_x4plus.pth")
    torch.save({"params": CompactSR(CompactConfig(num_features=8, num_convs=2)).state_dict()}, folder / "realesr-general-x4v3.pth")
    junyanz = to_reference_names(ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=6)))
    torch.save(junyanz, folder / "horse2zebra.pth")
    torch.save(junyanz, folder / "latest_net_G_A.pth")
    shutil.copy(ROOT / "tests" / "fixtures" / "swift_srgan" / "swift_tiny_x4.pth.tar", folder / "swift_srgan_4x.pth.tar")


def jpg(path: Path, seed: int, size=(40, 36)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8))


def make_workspace(root: Path) -> Path:
    """The files the README's commands name, small."""
    work = root / "work"
    make_image_folder(work / "photos", count=1, size=(48, 40))
    (work / "photos" / "img00.png").rename(work / "photos" / "monarch.png")
    jpg(work / "more" / "snow.jpg", 1)
    jpg(work / "holiday" / "h1.jpg", 2)
    jpg(work / "holiday" / "h2.jpg", 3)
    jpg(work / "horses" / "horse.jpg", 4)
    make_image_folder(work / "photo_folder", count=1, size=(32, 28), seed=5)
    (work / "photo_folder" / "img00.png").rename(work / "photo.png")
    for domain, seed in (("summer", 6), ("winter", 7)):
        make_image_folder(work / "photos" / domain, 3, (32, 32), seed=seed)
        make_image_folder(work / domain, 3, (32, 32), seed=seed)
    for folder, seed in (("trainA", 8), ("trainB", 9), ("testA", 10), ("testB", 11)):
        make_image_folder(work / "datasets" / "summer2winter_yosemite" / folder, 2, (32, 32), seed=seed)
    make_image_folder(work / "calib_images", 2, (72, 72), seed=12)
    make_image_folder(root / "shared" / "data" / "sr" / "train", 3, (64, 64), seed=13)
    make_image_folder(root / "shared" / "data" / "sr" / "Set5", 2, (64, 48), seed=14)
    make_clip(work / "clip.mp4", frames=6, size=(32, 24))
    save_released_models(work)
    return work


def check_outputs(work: Path, expected: list[str], line: str) -> None:
    for entry in expected:
        if "==" in entry:
            folder, names = entry.split("==")
            found = sorted(p.name for p in (work / folder).iterdir())
            assert found == sorted(names.split(",")), f"{line}: {folder} holds {found}"
        else:
            assert (work / entry).is_file(), f"{line}: {entry} was not written"


def test_every_readme_command_works_as_written(tmp_path, monkeypatch, capsys):
    work = make_workspace(tmp_path)
    monkeypatch.chdir(work)
    commands = readme_commands()
    assert len(commands) >= 20
    for argv in commands:
        line = " ".join(argv)
        expected = expectation(argv)
        program, args = argv[0], argv[1:]
        assert program in CLIS, f"README command {line!r}: unknown program"
        if any(pattern.search(line) for pattern in PARSE_ONLY):
            CLIS[program].build_parser().parse_args(args)  # needs a download or weights CI does not have
            continue
        args += SMALL.get((program, args[0]), [])
        if args[0] == "train":
            args += ["--max-steps", "3" if "--resume" in args else "2"]
        code = CLIS[program].main(args)
        err = capsys.readouterr().err
        assert code == 0, f"README command {line!r} exited {code}:\n{err}"
        assert "Traceback" not in err
        check_outputs(work, expected, line)
    # The folder command did not upscale the first command's result again.
    assert not (work / "out" / "monarch_x4_x2.png").exists()


def test_readme_python_blocks_run(tmp_path):
    work = make_workspace(tmp_path)
    for block in readme_blocks("python"):
        subprocess.run([sys.executable, "-c", block], cwd=work, check=True, timeout=300)
    assert read_image(work / "photo_big.png").shape[:2] == tuple(4 * v for v in read_image(work / "photo.png").shape[:2])


def test_install_commands_use_the_pinned_versions():
    install = [line for block in readme_blocks("bash") for line in block.splitlines() if line.startswith("python3 -m venv")]
    assert install and "torch==2.14.1 torchvision==0.29.1" in install[0] and '-e ".[dev]"' in install[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "torch==2.14.1 torchvision==0.29.1" in ci and ".venv/bin/python -m pytest -q" in ci


@pytest.mark.parametrize("program", sorted(CLIS))
def test_help_of_every_command(program, capsys):
    parser = CLIS[program].build_parser()
    for command in parser._subparsers._group_actions[0].choices:
        with pytest.raises(SystemExit) as stop:
            CLIS[program].main([command, "--help"])
        assert stop.value.code == 0
        assert capsys.readouterr().out.startswith("usage:")
