"""CUT and FastCUT: the paper's sizes, PatchNCE as CUT computes it, exact resume, one-way runs served by run,
export and eval, and the train command's --method, CPU-sized defaults and --resume with the run's options."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from common.core.errors import UserError
from common.io.images import read_image
from common.nn.blocks import count_parameters
from common.nn.discriminators import PatchGANConfig
from common.train.loop import LoopConfig
from common.weights.model_files import load_weights
from tests.helpers import make_image_folder, train_interrupted_then_resumed
from translate.cli import main
from translate.cut_step import CUTStep
from translate.cut_train import build_cut_step, cut_config, train_cut
from translate.models import ResnetGeneratorConfig
from translate.patchnce import l2_normalise, patch_nce_loss


def test_the_papers_sizes():
    step = build_cut_step(cut_config("cut", "."), 100, torch.device("cpu"))
    assert count_parameters(step.nets["generator"].g) == 11_378_179  # CycleGAN's ResNet-9, shared
    assert count_parameters(step.nets["generator"].projection) == 560_384  # 5 heads: 3, 128, 256, 256, 256 channels -> 256 -> 256
    assert count_parameters(step.nets["discriminator"]) == 2_764_737  # the 70x70 PatchGAN
    fast = cut_config("fastcut", ".")
    assert (fast.lambda_nce, fast.nce_identity, fast.flip_equivariance, fast.n_epochs, fast.n_epochs_decay) == (10.0, False, True, 150, 50)


def cut_reference_loss(feat_q, feat_k, batch_size, nce_t=0.07):
    """CUT's PatchNCELoss.forward (models/patchnce.py), as written there."""
    num_patches, dim = feat_q.shape
    feat_k = feat_k.detach()
    l_pos = torch.bmm(feat_q.view(num_patches, 1, -1), feat_k.view(num_patches, -1, 1)).view(num_patches, 1)
    feat_q, feat_k = feat_q.view(batch_size, -1, dim), feat_k.view(batch_size, -1, dim)
    npatches = feat_q.size(1)
    l_neg_curbatch = torch.bmm(feat_q, feat_k.transpose(2, 1))
    diagonal = torch.eye(npatches, dtype=torch.bool)[None, :, :]
    l_neg_curbatch.masked_fill_(diagonal, -10.0)
    out = torch.cat((l_pos, l_neg_curbatch.view(-1, npatches)), dim=1) / nce_t
    return F.cross_entropy(out, torch.zeros(out.size(0), dtype=torch.long), reduction="none")


def test_patch_nce_equals_cuts_formula_and_keys_get_no_gradient():
    torch.manual_seed(0)
    query = l2_normalise(torch.randn(2 * 16, 8)).requires_grad_(True)
    key = l2_normalise(torch.randn(2 * 16, 8)).requires_grad_(True)
    ours = patch_nce_loss(query, key, images=2)
    assert torch.allclose(ours, cut_reference_loss(query, key, 2), atol=1e-6)
    ours.mean().backward()
    assert query.grad.abs().sum() > 0 and key.grad is None
    matched = patch_nce_loss(key.detach(), key.detach(), images=2).mean()
    assert matched < ours.mean() - 1  # a query equal to its key is easy to tell from the others


def test_a_zero_projection_has_a_finite_gradient():
    # A head whose ReLU layer is all off projects to exactly 0; CUT's pow(2).sum().pow(0.5) gave NaN there.
    x = torch.zeros(3, 4, requires_grad=True)
    l2_normalise(x).sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.fixture
def domains(tmp_path):
    make_image_folder(tmp_path / "data" / "summer", 3, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 3, (28, 24), seed=5)
    return tmp_path / "data"


def _tiny(method, data, **overrides):
    base = dict(domains=("summer", "winter"), generator=ResnetGeneratorConfig(ngf=4, n_blocks=6),
                discriminator=PatchGANConfig(ndf=4, n_layers=2), load_size=24, crop_size=16, num_patches=8, n_epochs=1, n_epochs_decay=2)
    return cut_config(method, str(data), **{**base, **overrides})


@pytest.mark.parametrize("method", ["cut", "fastcut"])
def test_resume_equals_an_uninterrupted_run(tmp_path, domains, monkeypatch, method):
    config = _tiny(method, domains)
    loop = LoopConfig(max_steps=6, batch_size=1, log_every=1, sample_every=3, checkpoint_every=0, validate_every=0, ema_decay=0.9)
    train_cut(config, loop, tmp_path / "straight")
    train_interrupted_then_resumed(monkeypatch, CUTStep, 4, lambda resume: train_cut(config, loop, tmp_path / "resumed", resume=resume))
    a, meta = load_weights(tmp_path / "straight" / "summer2winter.safetensors", "resnet_generator")
    b, _ = load_weights(tmp_path / "resumed" / "summer2winter.safetensors", "resnet_generator")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert meta["method"] == method and meta["one_way"] is True
    assert not (tmp_path / "straight" / "winter2summer.safetensors").exists()


def test_a_cut_run_translates_tiled_exports_and_refuses_the_reverse(tmp_path, domains, capsys):
    train_cut(_tiny("cut", domains), LoopConfig(max_steps=2, log_every=1, sample_every=0, checkpoint_every=0), tmp_path / "run")
    photo = domains / "summer" / "img00.png"
    assert main(["run", str(tmp_path / "run"), "--direction", "summer2winter", str(photo), "-o", str(tmp_path / "t.png"), "--tile", "16",
                 "--tile-overlap", "8", "--device", "cpu"]) == 0
    assert read_image(tmp_path / "t.png").shape == read_image(photo).shape
    assert main(["run", str(tmp_path / "run"), "--direction", "winter2summer", str(photo), "-o", str(tmp_path / "r.png")]) == 2
    assert "a cut run translates summer2winter only" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "run"), "--direction", "summer2winter", "-o", str(tmp_path / "cut.onnx")]) == 0
    assert main(["run", "--model", str(tmp_path / "cut.onnx"), str(photo), "-o", str(tmp_path / "o.png")]) == 0
    assert main(["run", str(tmp_path / "run"), "--direction", "summer2winter", str(photo), "-o", str(tmp_path / "w.png"), "--device", "cpu"]) == 0
    torch_result, onnx_result = read_image(tmp_path / "w.png").astype(int), read_image(tmp_path / "o.png").astype(int)
    assert np.abs(torch_result - onnx_result).max() <= 1  # the whole image through torch and through the ONNX graph


TINY = ["--ngf", "4", "--ndf", "4", "--load-size", "28", "--crop-size", "24", "--num-patches", "8", "--workers", "0",
        "--log-every", "1", "--sample-every", "0", "--device", "cpu"]


def test_resume_alone_takes_the_runs_options_and_refuses_a_contradiction(tmp_path, domains, capsys):
    run = tmp_path / "run"
    base = ["train", "--data", str(domains), "--domains", "summer", "winter", "-o", str(run)]
    assert main(base + ["--method", "fastcut", *TINY, "--max-steps", "2"]) == 0
    err = capsys.readouterr().err
    assert "on a CPU: CPU-sized defaults 6 blocks" in err and "--preset reference" in err
    assert main(["train", "-o", str(run), "--domains", "summer", "winter", "--resume", "--max-steps", "3", "--workers", "0"]) == 0
    assert "resuming" in capsys.readouterr().err and load_weights(run / "summer2winter.safetensors", "resnet_generator")[1]["step"] == 3
    assert main(["train", "-o", str(run), "--domains", "summer", "winter", "--resume", "--max-steps", "4", "--ngf", "8"]) == 2
    err = capsys.readouterr().err
    assert "--ngf 8: " in err and "was trained with ngf 4" in err
    assert main(["train", "-o", str(run), "--domains", "summer", "winter", "--resume", "--method", "cut"]) == 2
    assert "is a fastcut run" in capsys.readouterr().err


def test_options_of_the_other_method_are_refused(domains, capsys):
    assert main(["train", "--data", str(domains), "--domains", "summer", "winter", "--method", "cut", "--lambda-cycle", "5", *TINY]) == 2
    assert "--lambda-cycle applies to --method cyclegan, not cut" in capsys.readouterr().err
    with pytest.raises(UserError, match="encoder of a 1-block generator"):
        build_cut_step(_tiny("cut", domains, generator=ResnetGeneratorConfig(ngf=4, n_blocks=1)), 1, torch.device("cpu"))
