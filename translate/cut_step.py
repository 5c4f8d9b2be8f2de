"""The CUT / FastCUT step object for the generic loop (Park et al., ECCV 2020): one generator, one
discriminator, and PatchNCE between each input and its translation instead of a second generator and a cycle.

Per step, as CUT's ``optimize_parameters``: the generator's forward (with the PatchNCE terms), then the D phase on
the detached fake, then the G phase against the updated D.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from common.core.config import config_to_dict
from common.nn.adversarial import GANLoss
from common.weights.model_files import save_weights
from translate.diagnostics import discriminator_accuracy, input_correlation, mean_change
from translate.models import MODEL_KIND, ResnetGenerator
from translate.patchnce import PatchProjection, patch_nce_loss
from translate.step import grid_of_columns


def encoder_features(generator: ResnetGenerator, x: torch.Tensor, layers: tuple[int, ...]) -> list[torch.Tensor]:
    """Outputs of ``generator.model[i]`` for each ``i`` in ``layers``, running only as far as the last of them."""
    features = []
    for index, layer in enumerate(generator.model[:max(layers) + 1]):
        x = layer(x)
        if index in layers:
            features.append(x)
    return features


class CUTNetworks(nn.Module):
    """The generator and the patch projection heads as one module (one forward per step, as DDP wants):
    returns the translation, the identity translation (CUT) and the PatchNCE terms."""

    def __init__(self, generator: ResnetGenerator, projection: PatchProjection, layers: tuple[int, ...], patches: int,
                 temperature: float):
        super().__init__()
        self.g, self.projection = generator, projection
        self.layers, self.patches, self.temperature = tuple(layers), patches, temperature

    def nce(self, source: torch.Tensor, output: torch.Tensor, flipped: bool) -> torch.Tensor:
        """PatchNCE between ``source`` and its translation ``output``, averaged over the layers."""
        queries = encoder_features(self.g, output, self.layers)
        if flipped:  # the output was made from the mirrored input: mirror its features back into place
            queries = [q.flip(3) for q in queries]
        keys, where = self.projection(encoder_features(self.g, source, self.layers), self.patches)
        queries, _ = self.projection(queries, self.patches, where)
        losses = [patch_nce_loss(q, k, source.shape[0], self.temperature).mean() for q, k in zip(queries, keys)]
        return torch.stack(losses).sum() / len(losses)

    def forward(self, real_a: torch.Tensor, real_b: torch.Tensor, identity: bool, flipped: bool) -> dict[str, torch.Tensor]:
        real = torch.cat([real_a, real_b]) if identity else real_a
        fake = self.g(real.flip(3) if flipped else real)
        out = {"fake_b": fake[:real_a.shape[0]], "nce": self.nce(real_a, fake[:real_a.shape[0]], flipped)}
        if identity:
            out["idt_b"] = fake[real_a.shape[0]:]
            out["nce_identity"] = self.nce(real_b, out["idt_b"], flipped)
        return out


class PairedScores(nn.Module):
    """D on real and fake in one forward (one DDP call per phase)."""

    def __init__(self, d: nn.Module):
        super().__init__()
        self.d = d

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.d(real), self.d(fake)


class CUTStep:
    """CUT's objective: lambda_GAN x GAN(G(a)) + lambda_NCE x PatchNCE(a, G(a)) (+ PatchNCE(b, G(b)), averaged
    with it, when ``nce_identity``); D is trained on real b against G(a), its loss halved.

    Args:
        networks / discriminator: :class:`CUTNetworks` and :class:`PairedScores`.
        optimizer_g (G and the projection heads together) / optimizer_d, and their schedulers.
        nce_identity: CUT's identity term (on for CUT, off for FastCUT); flip_equivariance: FastCUT's mirrored inputs.
    """

    def __init__(self, networks: CUTNetworks, discriminator: PairedScores, optimizer_g, optimizer_d, scheduler_g, scheduler_d,
                 gan_loss: str = "lsgan", lambda_gan: float = 1.0, lambda_nce: float = 1.0, nce_identity: bool = True,
                 flip_equivariance: bool = False, names: tuple[str, str] = ("A", "B"), export_metadata: dict[str, Any] | None = None):
        self.nets: dict[str, nn.Module] = {"generator": networks, "discriminator": discriminator}
        self.wrapped = dict(self.nets)
        self.optimizers = {"generator": optimizer_g, "discriminator": optimizer_d}
        self.schedulers = {"generator": scheduler_g, "discriminator": scheduler_d}
        self.gan_loss = GANLoss(gan_loss)
        self.lambda_gan, self.lambda_nce = lambda_gan, lambda_nce
        self.nce_identity, self.flip_equivariance = nce_identity, flip_equivariance
        self.names = names
        self.export_metadata = export_metadata or {}

    def run(self, batch: dict[str, torch.Tensor], step: int, autocast: Any) -> dict[str, float]:
        real_a, real_b = batch["a"], batch["b"]
        discriminator: PairedScores = self.nets["discriminator"]
        flipped = bool(self.flip_equivariance and torch.rand(()) < 0.5)  # torch's RNG: captured for an exact resume
        with autocast():
            out = self.wrapped["generator"](real_a, real_b, self.nce_identity, flipped)

        discriminator.requires_grad_(True)
        with autocast():
            real_score, fake_score = self.wrapped["discriminator"](real_b, out["fake_b"].detach())
            loss_d = 0.5 * self.gan_loss.discriminator(real_score.float(), fake_score.float())
        self.optimizers["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        self.optimizers["discriminator"].step()

        discriminator.requires_grad_(False)  # G phase against the updated D, called unwrapped (no DDP sync for D)
        with autocast():
            gan = self.lambda_gan * self.gan_loss.generator(discriminator.d(out["fake_b"]).float())
            nce = out["nce"].float()
            nce_total = (nce + out["nce_identity"].float()) / 2 if self.nce_identity else nce
            loss_g = gan + self.lambda_nce * nce_total
        self.optimizers["generator"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["generator"].step()
        for scheduler in self.schedulers.values():
            scheduler.step()
        a, b = self.names
        right_real, right_fake = discriminator_accuracy(real_score, fake_score, self.gan_loss.kind)
        logs = {"g_gan": gan.item(), "nce": nce.item(), "d": loss_d.item(), "d_acc_real": right_real, "d_acc_fake": right_fake,
                f"change_{a}2{b}": mean_change(real_a, out["fake_b"]), f"corr_{a}2{b}": input_correlation(real_a, out["fake_b"])}
        if self.nce_identity:
            logs["nce_identity"] = out["nce_identity"].item()
        return logs

    def warnings(self, record: dict[str, float]) -> list[str]:
        return []

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    @property
    def sample_columns(self) -> tuple[str, ...]:
        a, b = self.names
        return (f"real {a}", f"{a} -> {b}", f"real {b}", f"{b} -> {b} (identity)")

    def sample_grid(self, networks: nn.Module, fixed_batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Rows per sample: real A | A->B | real B | B->B, in [0, 1]."""
        generator = networks.g
        was_training = generator.training
        generator.eval()
        with torch.no_grad():
            columns = [fixed_batch["a"], generator(fixed_batch["a"]), fixed_batch["b"], generator(fixed_batch["b"])]
        generator.train(was_training)
        return grid_of_columns(columns)

    def validate(self, networks: nn.Module) -> dict[str, float]:
        return {}

    def export(self, networks: nn.Module, run_dir: Path, step: int) -> None:
        a, b = self.names
        module = networks.g
        save_weights(module, run_dir / f"{a}2{b}.safetensors", MODEL_KIND, config_to_dict(module.config),
                     {"task": "translate", "direction": f"{a}2{b}", "domains": [a, b], "step": step, "one_way": True, **self.export_metadata})
