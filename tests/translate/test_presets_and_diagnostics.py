"""CycleGAN presets (the reference recipe pinned, the default recipe and overrides) and the run diagnostics
(pure functions, warnings in the log, metrics.jsonl and index.html)."""
import json

import pytest
import torch

from common.core.errors import UserError
from common.nn.discriminators import PatchGANConfig
from translate import diagnostics
from translate.cli import main
from translate.models import ResnetGeneratorConfig
from translate.presets import cyclegan_preset, preset_differences
from translate.train import CycleGANConfig
from tests.helpers import make_image_folder


@pytest.fixture
def domains(tmp_path):
    make_image_folder(tmp_path / "data" / "summer", 3, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 3, (28, 24), seed=5)
    return tmp_path / "data"


def configs_from_cli(monkeypatch, argv: list[str], with_loop: bool = False):
    seen = {}
    monkeypatch.setattr("translate.train.train_cyclegan", lambda config, loop, out, resume=False: seen.update(config=config, loop=loop))
    assert main(["train", "--domains", "summer", "winter", *argv]) == 0
    return (seen["config"], seen["loop"]) if with_loop else seen["config"]


def test_each_preset_brings_its_ema_and_an_explicit_ema_wins(monkeypatch):
    assert configs_from_cli(monkeypatch, [], with_loop=True)[1].ema_decay == 0.995
    assert configs_from_cli(monkeypatch, ["--preset", "reference"], with_loop=True)[1].ema_decay == 0.0
    assert configs_from_cli(monkeypatch, ["--ema", "0"], with_loop=True)[1].ema_decay == 0.0
    assert configs_from_cli(monkeypatch, ["--preset", "reference", "--ema", "0.999"], with_loop=True)[1].ema_decay == 0.999


def test_reference_preset_is_the_papers_recipe_value_for_value(monkeypatch):
    """Pinned: junyanz's defaults, as `translate train` used them before presets existed."""
    expected = CycleGANConfig(
        data=".", domains=("summer", "winter"),
        generator=ResnetGeneratorConfig(ngf=64, n_blocks=9, norm="instance", upsample="transpose", residual_output=False),
        discriminator=PatchGANConfig(ndf=64, norm="instance"), gan_loss="lsgan", lambda_cycle=10.0, lambda_identity=0.0, lr=2e-4,
        beta1=0.5, n_epochs=100, n_epochs_decay=100, load_size=286, crop_size=256, flip=True, preprocess="resize_and_crop", pool_size=50,
        preset="reference",
    )
    assert configs_from_cli(monkeypatch, ["--preset", "reference"]) == expected
    assert cyclegan_preset("reference", ".", domains=("summer", "winter")) == expected
    assert preset_differences("reference") == {}


def test_default_preset_and_explicit_overrides(monkeypatch):
    config = configs_from_cli(monkeypatch, [])
    assert config.preset == "default" and config.generator.residual_output and config.generator.upsample == "resize_conv"
    assert preset_differences("default") == {"generator.residual_output": True, "generator.input_skip": True, "generator.input_skip_gain": 10.0,
                                             "generator.upsample": "resize_conv", "discriminator.norm": "none", "cycle_lowpass": 2.0,
                                             "lambda_identity": 0.1}
    config = configs_from_cli(monkeypatch, ["--no-residual-output", "--no-input-skip", "--upsample", "transpose", "--identity", "0.5", "--lr", "1e-4",
                                            "--cycle-lowpass", "0", "--input-skip-gain", "3"])
    assert not config.generator.residual_output and not config.generator.input_skip and config.generator.upsample == "transpose"
    assert config.cycle_lowpass == 0 and config.generator.input_skip_gain == 3
    assert config.lambda_identity == 0.5 and config.lr == 1e-4 and config.preset == "default"
    # --norm sets both networks, as the reference's option does; --d-norm the discriminators alone.
    config = configs_from_cli(monkeypatch, ["--norm", "instance"])
    assert config.generator.norm == config.discriminator.norm == "instance"
    config = configs_from_cli(monkeypatch, ["--norm", "batch", "--d-norm", "instance", "--ndf", "32"])
    assert config.generator.norm == "batch" and config.discriminator == PatchGANConfig(ndf=32, norm="instance")
    with pytest.raises(UserError, match="--preset fancy"):
        cyclegan_preset("fancy", ".")


def test_a_cycle_lowpass_wider_than_the_crop_is_refused(domains, monkeypatch, capsys):
    monkeypatch.chdir(domains)
    assert main(["train", "--domains", "summer", "winter", "--crop-size", "24", "--load-size", "24", "--cycle-lowpass", "7"]) == 2
    assert "--cycle-lowpass 7: at most a quarter of --crop-size 24" in capsys.readouterr().err


def test_diagnostics_on_known_cases():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert diagnostics.mean_change(x, x) == 0 and diagnostics.mean_change(x, x + 0.2) == pytest.approx(0.1)
    assert diagnostics.input_correlation(x, x * 0.5 + 0.1) == pytest.approx(1.0, abs=1e-5)
    assert diagnostics.input_correlation(x, -x) == pytest.approx(-1.0, abs=1e-5)
    real, fake = torch.tensor([0.9, 0.8, 0.2, 0.7]), torch.tensor([0.1, 0.6, 0.3, 0.0])
    assert diagnostics.discriminator_accuracy(real, fake, "lsgan") == (0.75, 0.75)
    assert diagnostics.discriminator_accuracy(real - 0.5, fake - 0.5, "vanilla") == (0.75, 0.75)


def test_warnings_name_the_direction_and_what_to_try():
    names = ("summer", "winter")
    record = {"step": 500, "change_summer2winter": 0.001, "corr_summer2winter": 0.9, "change_winter2summer": 0.2, "corr_winter2summer": -0.4}
    lines = diagnostics.training_warnings(record, names)
    assert len(lines) == 2
    assert lines[0].startswith("summer2winter has collapsed to the identity") and "--identity" in lines[0]
    assert lines[1].startswith("winter2summer inverts its input") and "residual output" in lines[1]
    assert diagnostics.training_warnings({**record, "step": 10}, names) == []  # not during warm-up
    assert diagnostics.training_warnings({"step": 500, "change_summer2winter": 0.1, "corr_summer2winter": 0.8}, names) == []


def test_a_run_logs_diagnostics_and_reports_warnings(domains, monkeypatch, capsys):
    monkeypatch.chdir(domains)
    monkeypatch.setattr(diagnostics, "WARMUP_STEPS", 0)
    monkeypatch.setattr(diagnostics, "INVERSION_CORRELATION", 2.0)  # every translation counts as inverted here
    tiny = ["--ngf", "4", "--ndf", "4", "--n-blocks", "6", "--load-size", "28", "--crop-size", "24", "--max-steps", "2",
            "--sample-every", "2", "--log-every", "1", "--workers", "0", "--device", "cpu"]
    assert main(["train", "--domains", "summer", "winter", *tiny]) == 0
    run = domains / "runs" / "summer2winter"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for key in ("change_summer2winter", "corr_winter2summer", "cycle_error", "d_acc_real", "d_acc_fake"):
        assert all(isinstance(r[key], float) for r in records), key
    assert any("summer2winter inverts its input" in w for w in records[-1]["warnings"])
    assert "warning step 1: summer2winter inverts its input" in capsys.readouterr().err
    page = (run / "index.html").read_text()
    assert "Warnings" in page and "inverts its input" in page and "change_summer2winter" in page
    assert json.loads((run / "summer2winter.json").read_text())["preset"] == "default"
