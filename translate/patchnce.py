"""PatchNCE (Park et al., "Contrastive Learning for Unpaired Image-to-Image Translation", ECCV 2020): a patch of
the output should match the input patch at the same place, against the other patches of the same image.

:func:`patch_nce_loss` is the loss on already projected patch features; :class:`PatchProjection` samples
patches of encoder feature maps and projects them with one 2-layer MLP per layer (256-d, L2-normalised), as
CUT's ``PatchSampleF``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NCE_TEMPERATURE = 0.07
# Our ResNet generator's points where CUT takes features: the input (after the 7x7 reflection pad), the two
# downsampling convs, and residual blocks 1 and 5. CUT numbers them 0, 4, 8, 12, 16 in its anti-aliased
# generator, whose blur-pool layers shift the indices; in the CycleGAN layout used here they are these.
NCE_LAYERS = (0, 4, 7, 10, 14)


def patch_nce_loss(query: torch.Tensor, key: torch.Tensor, images: int, temperature: float = NCE_TEMPERATURE) -> torch.Tensor:
    """InfoNCE over patches: each query's positive is the key at its own place, its negatives are the keys of the
    other places in the same image (CUT's default, negatives not drawn across the batch).

    Args:
        query: (images * P, D) projected features of the output, L2-normalised.
        key: (images * P, D) of the input at the same places (no gradient flows into it, as in CUT).
        images: batch size B, so the P patches of each image are its own negatives.

    Returns:
        (images * P,) the cross-entropy of each patch (mean it for the loss).
    """
    key = key.detach()
    positives = (query * key).sum(dim=1, keepdim=True)
    dim = query.shape[1]
    query_b, key_b = query.view(images, -1, dim), key.view(images, -1, dim)
    patches = query_b.shape[1]
    negatives = torch.bmm(query_b, key_b.transpose(1, 2))
    diagonal = torch.eye(patches, device=query.device, dtype=torch.bool)[None]
    negatives = negatives.masked_fill(diagonal, -10.0).view(-1, patches)  # its own place is the positive, not a negative
    logits = torch.cat([positives, negatives], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long, device=query.device), reduction="none")


def l2_normalise(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit length (CUT's ``Normalize``: the 1e-7 is added to the norm). The norm is taken with
    ``vector_norm``, whose gradient at a zero row is 0; CUT's ``pow(2).sum().pow(0.5)`` gives NaN there, which a
    projection head whose ReLU layer is all off produces (it ended the default preset's runs at step 2)."""
    return x / (torch.linalg.vector_norm(x, dim=1, keepdim=True) + 1e-7)


class PatchProjection(nn.Module):
    """Per encoder layer: sample ``patches`` positions, project their features with Linear-ReLU-Linear to
    ``dim``, L2-normalise. Weights are initialised as CUT's (Xavier normal, gain 0.02; zero biases).

    Args:
        channels: feature channels of each layer (e.g. 3, 128, 256, 256, 256 for ngf 64).
    """

    def __init__(self, channels: tuple[int, ...], dim: int = 256):
        super().__init__()
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(c, dim), nn.ReLU(), nn.Linear(dim, dim)) for c in channels)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight, gain=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, features: list[torch.Tensor], patches: int, positions: list[torch.Tensor] | None = None
                ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(B, C, H, W) maps -> ((B * P, dim) projections, the positions used), the same positions for every
        image of the batch; pass ``positions`` to sample the output's features where the input's were."""
        projected, used = [], []
        for index, (feature, mlp) in enumerate(zip(features, self.mlps)):
            flat = feature.permute(0, 2, 3, 1).flatten(1, 2)  # (B, H*W, C)
            if positions is None:
                where = torch.randperm(flat.shape[1], device=feature.device)[:min(patches, flat.shape[1])]
            else:
                where = positions[index]
            projected.append(l2_normalise(mlp(flat[:, where, :].flatten(0, 1))))
            used.append(where)
        return projected, used
