"""The FID Inception of the papers: TensorFlow's ``inception-2015-12-05`` as pytorch-fid builds it, 2048-d pool3.

Every CycleGAN/CUT paper reports FID with this network (pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``),
so only figures made with it compare with theirs. It is torchvision's Inception-v3 with the blocks TensorFlow
computes differently: its average pools leave the padding out of the average, and the last block max-pools.
Inputs: (B, 3, H, W) RGB in [0, 1], resized to 299x299 (bilinear, no antialiasing) and scaled to [-1, 1], as
pytorch-fid does. ``tests/common/metrics/test_fid_inception.py`` checks the features against pytorch-fid itself.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torchvision.models import inception as tv

from common.core.errors import UserError

PYTORCH_FID_FILENAME = "pt_inception-2015-12-05-6726825d.pth"


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)  # TF leaves padding out


class FIDInceptionA(tv.InceptionA):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), branch5x5, branch3x3dbl, self.branch_pool(_tf_avg_pool(x))], 1)


class FIDInceptionC(tv.InceptionC):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            branch7x7dbl = layer(branch7x7dbl)
        return torch.cat([self.branch1x1(x), branch7x7, branch7x7dbl, self.branch_pool(_tf_avg_pool(x))], 1)


class FIDInceptionE(tv.InceptionE):
    """Mixed_7b (average pool without padding) or, with ``max_pool``, Mixed_7c (TF's graph max-pools there)."""

    def __init__(self, in_channels: int, max_pool: bool):
        super().__init__(in_channels)
        self.max_pool = max_pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat([self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), branch3x3, branch3x3dbl, self.branch_pool(pooled)], 1)


class FIDInception(torch.nn.Module):
    """(B, 3, H, W) in [0, 1] -> (B, 2048) pool3 features (21.8M parameters; no classifier)."""

    def __init__(self):
        super().__init__()
        net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008)
        net.Mixed_5b, net.Mixed_5c, net.Mixed_5d = FIDInceptionA(192, 32), FIDInceptionA(256, 64), FIDInceptionA(288, 64)
        net.Mixed_6b, net.Mixed_6c = FIDInceptionC(768, 128), FIDInceptionC(768, 160)
        net.Mixed_6d, net.Mixed_6e = FIDInceptionC(768, 160), FIDInceptionC(768, 192)
        net.Mixed_7b, net.Mixed_7c = FIDInceptionE(1280, max_pool=False), FIDInceptionE(2048, max_pool=True)
        net.fc = torch.nn.Identity()
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
        n = self.net
        for layer in (n.Conv2d_1a_3x3, n.Conv2d_2a_3x3, n.Conv2d_2b_3x3, n.maxpool1, n.Conv2d_3b_1x1, n.Conv2d_4a_3x3, n.maxpool2,
                      n.Mixed_5b, n.Mixed_5c, n.Mixed_5d, n.Mixed_6a, n.Mixed_6b, n.Mixed_6c, n.Mixed_6d, n.Mixed_6e,
                      n.Mixed_7a, n.Mixed_7b, n.Mixed_7c):
            x = layer(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def default_weights_path() -> Path:
    """Where pytorch-fid keeps its weights: ``torch.hub.get_dir()/checkpoints/pt_inception-2015-12-05-6726825d.pth``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / PYTORCH_FID_FILENAME


def load_fid_inception(weights_path: str | os.PathLike | None = None) -> FIDInception:
    """The network with pytorch-fid's weights (with or without their unused ``fc``), in eval mode, on the CPU.

    Raises:
        UserError: the file is absent (this never downloads), or holds other weights.
    """
    path = Path(weights_path) if weights_path else default_weights_path()
    if not path.is_file():
        raise UserError(f"{path}: the FID Inception weights of pytorch-fid are not found; on a machine with internet, "
                        "`pip install pytorch-fid` and one `python -m pytorch_fid DIR_A DIR_B` download them there, or fetch "
                        f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{PYTORCH_FID_FILENAME} "
                        "yourself; or pass --inception-weights PATH")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for files that are not checkpoints
        raise UserError(f"{path}: not a readable weights file ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise UserError(f"{path}: not a state dict of the FID Inception")
    model = FIDInception()
    try:
        model.net.load_state_dict({k: v for k, v in state.items() if not str(k).startswith("fc.")}, strict=True)
    except RuntimeError as exc:
        raise UserError(f"{path}: not the FID Inception's weights ({str(exc).splitlines()[0][:120]}); for torchvision's Inception file pass "
                        "--protocol torchvision") from None
    return model.eval().requires_grad_(False)


PROTOCOLS = ("auto", "pytorch-fid", "torchvision")


def choose_extractor(protocol: str = "auto", weights_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
    """(feature extractor, protocol used). ``auto`` is pytorch-fid (the papers' protocol) when its weights are given
    or in pytorch-fid's cache, torchvision's Inception when only that is cached (figures then compare only with
    each other), else the error saying how to get pytorch-fid's file.

    Raises:
        UserError: unknown protocol, or the weights it needs are absent.
    """
    from common.metrics.fid import INCEPTION_FILENAME, inception_extractor

    if protocol not in PROTOCOLS:
        raise UserError(f"--protocol {protocol}: expected one of {', '.join(PROTOCOLS)}")
    if protocol == "auto":
        torchvision_cached = (Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILENAME).is_file()
        protocol = "torchvision" if not weights_path and not default_weights_path().is_file() and torchvision_cached else "pytorch-fid"
    if protocol == "torchvision":
        return inception_extractor(weights_path, device), protocol
    model = load_fid_inception(weights_path).to(device)

    @torch.no_grad()
    def extract(images: torch.Tensor) -> torch.Tensor:
        return model(images.to(device))

    return extract, protocol
