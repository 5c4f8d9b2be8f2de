"""CycleGAN: reference sizes, pool, schedule, data layouts, exact resume (pools included), run CLI."""
import json

import numpy as np
import pytest
import torch

from common.core.errors import UserError
from common.io.images import read_image, write_image
from common.nn.blocks import count_parameters
from common.nn.discriminators import PatchGANConfig
from common.train.loop import LoopConfig
from common.weights.model_files import load_weights
from translate.cli import main
from translate.data import UnpairedDataset, find_domain_folders
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.pool import ImagePool
from translate.step import CycleGenerators, linear_decay_factor
from translate.train import CycleGANConfig, train_cyclegan
from translate.translator import Translator
from tests.helpers import make_image_folder, train_interrupted_then_resumed


def test_reference_parameter_counts():
    assert count_parameters(ResnetGenerator(ResnetGeneratorConfig())) == 11_378_179
    assert count_parameters(ResnetGenerator(ResnetGeneratorConfig(n_blocks=6))) == 7_837_699
    assert count_parameters(ResnetGenerator(ResnetGeneratorConfig(upsample="resize_conv"))) == 11_378_179
    assert count_parameters(ResnetGenerator(ResnetGeneratorConfig(input_skip=True))) == 11_378_179 + 3 * 3 * 49


def test_input_skip_feeds_the_input_to_the_last_conv():
    # Features silenced, the input's weights a centre tap of 0.5 per channel: a pure tone slope in atanh space.
    model = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, input_skip=True, residual_output=True))
    last = model.model[-2]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        for channel in range(3):
            last.weight[channel, 4 + channel, 3, 3] = 0.5
    x = torch.rand(1, 3, 12, 16) * 1.8 - 0.9
    assert torch.allclose(model(x), torch.tanh(torch.atanh(x) + 0.5 * x), atol=1e-6)


def test_input_skip_gain_starts_the_same_and_learns_that_path_faster():
    def effective_skip_weights(model: ResnetGenerator) -> torch.Tensor:
        return model.model[-2].weight[:, 4:].detach() * model.config.input_skip_gain

    x = torch.rand(1, 3, 12, 16) * 1.8 - 0.9
    models, moves = [], []
    for gain in (1.0, 10.0):
        torch.manual_seed(0)
        model = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, input_skip=True, residual_output=True, input_skip_gain=gain))
        models.append(model(x).detach())
        before = effective_skip_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model(x).mean().backward()
        optimizer.step()
        moves.append((effective_skip_weights(model) - before).abs().mean())
    assert torch.allclose(models[0], models[1], atol=1e-6)  # same function at the start
    assert moves[1] / moves[0] == pytest.approx(10.0, rel=1e-3)


@pytest.mark.parametrize("upsample, input_skip", [("transpose", False), ("resize_conv", False), ("resize_conv", True)])
def test_generator_shape_and_range(upsample, input_skip, device):
    model = ResnetGenerator(ResnetGeneratorConfig(ngf=8, n_blocks=1, upsample=upsample, input_skip=input_skip)).to(device)
    out = model(torch.rand(2, 3, 20, 28, device=device) * 2 - 1)
    assert out.shape == (2, 3, 20, 28) and out.abs().max() <= 1


@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_identity_passes_match_separate_calls(norm, device):
    torch.manual_seed(0)
    config = ResnetGeneratorConfig(ngf=4, n_blocks=1, norm=norm)
    generators = CycleGenerators(ResnetGenerator(config), ResnetGenerator(config)).to(device)
    real_a, real_b = (torch.rand(2, 3, 16, 16, device=device) * 2 - 1 for _ in range(2))
    out = generators(real_a, real_b, identity=True)
    # Batched for instance norm (per image, so exact), separate for batch norm (whose statistics would mix).
    expected = {"fake_b": generators.a2b(real_a), "idt_b": generators.a2b(real_b), "fake_a": generators.b2a(real_b), "idt_a": generators.b2a(real_a)}
    for name, value in expected.items():
        torch.testing.assert_close(out[name], value, atol=1e-5, rtol=1e-5, msg=name)
    torch.testing.assert_close(out["rec_a"], generators.b2a(out["fake_b"]), atol=1e-5, rtol=1e-5)


def test_init_is_normal_0_02():
    weights = torch.cat([m.weight.flatten() for m in ResnetGenerator().modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(weights.std().item() - 0.02) < 0.001 and abs(weights.mean().item()) < 0.001


def test_image_pool_fills_then_mixes():
    torch.manual_seed(0)
    pool = ImagePool(3)
    first = [pool.query(torch.full((1, 1, 1, 1), float(i))) for i in range(3)]
    assert [f.item() for f in first] == [0, 1, 2]
    returned = [pool.query(torch.full((1, 1, 1, 1), 10.0 + i)).item() for i in range(40)]
    assert any(r < 10 for r in returned) and any(r >= 10 for r in returned)
    assert ImagePool(0).query(torch.ones(2, 1, 1, 1)).shape == (2, 1, 1, 1)


def test_schedule_is_constant_then_linear():
    factors = [linear_decay_factor(epoch * 10, 10, 100, 100) for epoch in (0, 98, 99, 100, 150, 199)]
    # Reference rule (epoch_count 1): epochs 0..99 at full rate, then 1 - k/101 for the k-th decay epoch.
    assert factors[:3] == [1.0, 1.0, 1.0]
    assert factors[3] == pytest.approx(1 - 1 / 101) and factors[-1] == pytest.approx(1 / 101)


def test_domain_layouts_and_errors(tmp_path):
    make_image_folder(tmp_path / "named" / "summer", 1, (16, 16))
    make_image_folder(tmp_path / "named" / "winter", 1, (16, 16))
    assert find_domain_folders(tmp_path / "named", "summer", "winter").train_b.name == "winter"
    for name in ("trainA", "trainB", "testA", "testB"):
        make_image_folder(tmp_path / "classic" / name, 1, (16, 16))
    folders = find_domain_folders(tmp_path / "classic", "A", "B")
    assert folders.train_a.name == "trainA" and folders.test_b.name == "testB"
    with pytest.raises(UserError, match="no folder for domain 'autumn'"):
        find_domain_folders(tmp_path / "named", "summer", "autumn")
    (tmp_path / "named" / "empty").mkdir()
    with pytest.raises(UserError, match="holds no image"):
        find_domain_folders(tmp_path / "named", "summer", "empty")


def test_epoch_visits_every_a_once(tmp_path):
    a = make_image_folder(tmp_path / "a", 5, (20, 20))
    b = make_image_folder(tmp_path / "b", 3, (20, 20), seed=1)
    dataset = UnpairedDataset(a, b, 20, 16, seed=0)
    assert len(dataset) == 5
    seen = {tuple(dataset[i]["a"][:, 0, 0].tolist()) for i in range(5)}
    assert dataset[0]["a"].shape == (3, 16, 16) and len(seen) == 5


def _tiny(data, **overrides):
    base = dict(data=str(data), domains=("summer", "winter"), generator=ResnetGeneratorConfig(ngf=4, n_blocks=1),
                discriminator=PatchGANConfig(ndf=4, n_layers=2), load_size=24, crop_size=16, pool_size=2, n_epochs=1, n_epochs_decay=1)
    return CycleGANConfig(**{**base, **overrides})


@pytest.fixture
def domains(tmp_path):
    make_image_folder(tmp_path / "data" / "summer", 3, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 3, (28, 24), seed=5)
    return tmp_path / "data"


def test_resume_equals_uninterrupted_with_pools_and_identity(tmp_path, domains, monkeypatch):
    config = _tiny(domains, lambda_identity=0.5)
    loop = LoopConfig(max_steps=6, batch_size=1, log_every=1, sample_every=3, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(config, loop, tmp_path / "straight")

    from translate.step import CycleGANStep

    train_interrupted_then_resumed(monkeypatch, CycleGANStep, 4, lambda resume: train_cyclegan(config, loop, tmp_path / "resumed", resume=resume))
    for direction in ("summer2winter", "winter2summer"):
        a, _ = load_weights(tmp_path / "straight" / f"{direction}.safetensors", "resnet_generator")
        b, _ = load_weights(tmp_path / "resumed" / f"{direction}.safetensors", "resnet_generator")
        assert all(torch.equal(a[k], b[k]) for k in a), direction
    state = torch.load(tmp_path / "resumed" / "checkpoints" / "last.pt", weights_only=True)
    assert len(state["extra"]["pool_a"]["images"]) == 2


def test_wgan_gradient_penalty_is_applied(tmp_path, domains):
    loop = LoopConfig(max_steps=2, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    logs = train_cyclegan(_tiny(domains, gan_loss="wgan"), loop, tmp_path / "w")
    assert logs["gradient_penalty"] > 0


def test_train_cli_as_on_the_design_card(domains, monkeypatch, capsys):
    """`translate train --domains summer winter` in a folder holding summer/ and winter/."""
    monkeypatch.chdir(domains)
    tiny = ["--ngf", "4", "--ndf", "4", "--n-blocks", "6", "--load-size", "28", "--crop-size", "24", "--max-steps", "2",
            "--sample-every", "1", "--workers", "0", "--device", "cpu"]
    assert main(["train", "--domains", "summer", "winter", *tiny]) == 0
    run = domains / "runs" / "summer2winter"
    assert (run / "summer2winter.safetensors").is_file() and (run / "winter2summer.json").is_file()
    assert (run / "checkpoints" / "last.pt").is_file() and (run / "samples" / "step_0000002.png").is_file()
    assert (run / "index.html").is_file() and len((run / "metrics.jsonl").read_text().splitlines()) >= 1
    assert main(["train", "--domains", "summer", "winter", *tiny]) == 2  # never trains over an existing run
    assert "pass --resume" in capsys.readouterr().err
    assert main(["train", "--domains", "summer", "winter", *tiny, "--max-steps", "3", "--resume"]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 3
    assert main(["train", "--domains", "summer", "autumn", *tiny]) == 2
    assert "no folder for domain 'autumn'" in capsys.readouterr().err
    assert main(["train", "--domains", "summer", "winter", *tiny, "--crop-size", "20", "--out", "small"]) == 2
    assert "--crop-size 20: the 3-layer PatchGAN needs at least 24 px" in capsys.readouterr().err


def test_full_resolution_training_on_mixed_sizes(tmp_path):
    for index, size in enumerate([(28, 24), (36, 30), (26, 34)]):
        make_image_folder(tmp_path / "data" / "summer", 1, size, seed=index).joinpath("img00.png").rename(tmp_path / "data" / "summer" / f"{index}.png")
        make_image_folder(tmp_path / "data" / "winter", 1, size[::-1], seed=9 + index).joinpath("img00.png").rename(tmp_path / "data" / "winter" / f"{index}.png")
    config = _tiny(tmp_path / "data", preprocess="none")
    loop = LoopConfig(max_steps=3, batch_size=1, log_every=1, sample_every=3, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(config, loop, tmp_path / "run")
    assert (tmp_path / "run" / "samples" / "step_0000003.png").is_file()
    with pytest.raises(UserError, match="needs --batch-size 1"):
        train_cyclegan(config, LoopConfig(max_steps=1, batch_size=2), tmp_path / "run2")
    with pytest.raises(UserError, match="larger than --load-size"):
        train_cyclegan(_tiny(tmp_path / "data", load_size=20, crop_size=24), loop, tmp_path / "run3")


def test_run_cli_full_resolution_and_bad_files(tmp_path, domains, capsys):
    loop = LoopConfig(max_steps=1, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(_tiny(domains), loop, tmp_path / "run")
    rng = np.random.default_rng(0)
    write_image(tmp_path / "odd.png", rng.integers(0, 256, (37, 23, 3), dtype=np.uint8))
    write_image(tmp_path / "deep.png", rng.integers(0, 65536, (20, 18, 1), dtype=np.uint16))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 nope")
    code = main(["run", str(tmp_path / "run"), str(tmp_path / "odd.png"), str(tmp_path / "deep.png"), str(tmp_path / "broken.jpg"),
                 "--direction", "summer2winter", "-o", str(tmp_path / "out")])
    assert code == 1 and "broken.jpg: cannot read image" in capsys.readouterr().err
    assert read_image(tmp_path / "out" / "odd_summer2winter.png").shape == (37, 23, 3)
    deep = read_image(tmp_path / "out" / "deep_summer2winter.png")
    assert deep.dtype == np.uint16 and deep.shape == (20, 18, 1)
    assert main(["run", str(tmp_path / "run"), str(tmp_path / "odd.png"), "--direction", "autumn2winter", "-o", str(tmp_path / "x")]) == 2
    assert "--direction must be one of summer2winter, winter2summer" in capsys.readouterr().err


def test_tiles_blend_without_hard_seams(tmp_path, domains):
    loop = LoopConfig(max_steps=1, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(_tiny(domains), loop, tmp_path / "run")
    translator = Translator.from_checkpoint(tmp_path / "run", "summer2winter", device="cpu", tile=32, overlap=16)
    yy, xx = np.mgrid[0:64, 0:80]
    smooth = np.stack([(xx * 3) % 256, (yy * 3) % 256, (xx + yy) % 256], axis=2).astype(np.uint8)
    out = translator(smooth).astype(float)
    # Neighbouring-column differences at tile borders are no larger than elsewhere in the image.
    column_jumps = np.abs(np.diff(out, axis=1)).mean(axis=(0, 2))
    assert column_jumps.max() < 4 * np.median(column_jumps) + 1


def test_export_and_onnx_run_match_torch(tmp_path, domains, monkeypatch):
    loop = LoopConfig(max_steps=1, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(_tiny(domains), loop, tmp_path / "run")
    assert main(["export", str(tmp_path / "run"), "--direction", "summer2winter", "-o", str(tmp_path / "m.onnx")]) == 0
    document = json.loads((tmp_path / "m.onnx.json").read_text())
    assert document["training_data"] == "data: summer and winter" and document["license"] == "unknown"  # the folder's name, never its path
    image = np.random.default_rng(1).integers(0, 256, (30, 26, 3), dtype=np.uint8)
    torch_out = Translator.from_checkpoint(tmp_path / "run", "summer2winter", device="cpu")(image)
    onnx_out = Translator.from_onnx(tmp_path / "m.onnx", device="cpu")(image)
    assert np.abs(torch_out.astype(int) - onnx_out.astype(int)).max() <= 1
    write_image(tmp_path / "in.png", image)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # keep this process's thread count
    assert main(["run", "--model", str(tmp_path / "m.onnx"), str(tmp_path / "in.png"), "-o", str(tmp_path / "cli.png"), "--threads", "1"]) == 0
    assert np.array_equal(read_image(tmp_path / "cli.png"), onnx_out)


def test_schedule_never_turns_negative_past_its_end():
    # Steps past n_epochs + n_epochs_decay (a --max-steps longer than the schedule) once gave a negative factor:
    # gradient ascent that wrecked a trained model in a few steps. The rate stays at 0 there instead.
    past_end = [linear_decay_factor(epoch * 10, 10, 5, 5) for epoch in (10, 11, 50)]
    assert past_end == [0.0, 0.0, 0.0]


def test_training_past_the_schedule_keeps_the_rate_at_zero(tmp_path, domains, capsys):
    # 3 images, 1 + 1 epochs: the schedule ends after 6 steps; 9 steps once ran the last 3 at a negative rate.
    loop = LoopConfig(max_steps=9, batch_size=1, log_every=1, sample_every=0, checkpoint_every=0, validate_every=0, ema_decay=0)
    train_cyclegan(_tiny(domains), loop, tmp_path / "long")
    rates = [json.loads(line)["lr"] for line in (tmp_path / "long" / "metrics.jsonl").read_text().splitlines()]
    assert min(rates) == 0.0 and rates[-1] == 0.0
    assert "runs past the learning-rate schedule" in capsys.readouterr().err
