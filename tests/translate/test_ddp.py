"""CycleGAN under torchrun (gloo, 2 CPU ranks): both ranks end with the same G and D weights."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import make_image_folder

ROOT = Path(__file__).resolve().parents[2]

# Each rank sees different images (the sampler shards by rank); only synchronised gradients keep the
# replicas equal, so equal weights after a few steps show that DDP really averages both G and D.
SCRIPT = """
import sys; sys.path.insert(0, {root!r})
import torch, torch.distributed as dist
import translate.train as train
from common.nn.discriminators import PatchGANConfig
from common.train.loop import LoopConfig
from translate.models import ResnetGeneratorConfig

captured = {{}}
real_fit = train.fit
def capturing_fit(step, *args, **kwargs):
    captured["step"] = step
    captured["initial"] = {{k: v.clone() for k, v in step.nets["generator"].state_dict().items()}}
    return real_fit(step, *args, **kwargs)
train.fit = capturing_fit

config = train.CycleGANConfig(
    data={data!r}, domains=("summer", "winter"), generator=ResnetGeneratorConfig(ngf=4, n_blocks=1),
    discriminator=PatchGANConfig(ndf=4, n_layers=2), load_size=24, crop_size=16, pool_size=2, gan_loss={gan_loss!r},
)
loop = LoopConfig(max_steps=3, batch_size=1, log_every=1, sample_every=2, checkpoint_every=0, validate_every=0, ema_decay=0, device="cpu")
train.train_cyclegan(config, loop, {run!r})
import os; os.makedirs({run!r}, exist_ok=True)
assert not dist.is_initialized()  # training ends the group it started (see common.train.distributed)
rank = int(os.environ["RANK"])
nets = captured["step"].nets
state = {{f"{{name}}.{{k}}": v for name, net in nets.items() for k, v in net.state_dict().items()}}
torch.save(state, {run!r} + f"/rank{{rank}}.pt")
torch.save(captured["initial"], {run!r} + f"/initial{{rank}}.pt")
"""


@pytest.mark.parametrize("gan_loss", ["lsgan", "wgan"])
def test_cyclegan_ddp_keeps_ranks_in_sync(tmp_path, gan_loss):
    make_image_folder(tmp_path / "data" / "summer", 4, (28, 24))
    make_image_folder(tmp_path / "data" / "winter", 4, (28, 24), seed=5)
    run = tmp_path / "run"
    script = tmp_path / "ddp_cyclegan.py"
    script.write_text(SCRIPT.format(root=str(ROOT), data=str(tmp_path / "data"), gan_loss=gan_loss, run=str(run)))
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(run / "rank0.pt", weights_only=True)
    rank1 = torch.load(run / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys() and any(k.startswith("discriminator.") for k in rank0)
    unequal = [k for k in rank0 if not torch.allclose(rank0[k], rank1[k], atol=1e-6)]
    assert not unequal, unequal[:5]
    initial = torch.load(run / "initial0.pt", weights_only=True)
    assert any(not torch.equal(initial[k], rank0[f"generator.{k}"]) for k in initial), "G did not train"
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 3
    assert (run / "summer2winter.safetensors").is_file() and (run / "samples" / "step_0000002.png").is_file()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3  # rank 0 alone writes
