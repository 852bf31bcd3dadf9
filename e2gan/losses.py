"""The GAN objective: conditional adversarial loss + λ·L1 to the teacher's output (pix2pix, E2GAN), plus an
edge term.

Defaults and why:
- `lsgan` (least squares) rather than pix2pix's original cross-entropy: the same optimum, steadier
  gradients for a tiny generator, and no saturation when the discriminator wins early (CycleGAN's default).
- λ_L1 = 100 (pix2pix): the teacher's output is the target, the adversarial term only sharpens it.
- λ_edge: L1 between the images' horizontal and vertical differences. Plain L1 is content with a blurred
  stroke; the edge term is what makes thin lines (sketch, ink, outlines) come out thin. Without it a Quick
  LoRA filter loses 0.39 dB (BENCHMARKS.md, ablation: Recipe, 3 seeds).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

GAN_MODES = ("lsgan", "vanilla", "hinge")


@dataclass
class LossConfig:
    gan_mode: str = "lsgan"  # lsgan | vanilla | hinge
    l1_weight: float = 100.0  # λ: weight of L1 to the teacher's output
    edge_weight: float = 0.0  # weight of L1 between image gradients (sharpness), on L1's scale

    def __post_init__(self) -> None:
        if self.gan_mode not in GAN_MODES:
            raise ValueError(f"gan_mode must be one of {GAN_MODES}")


def adversarial(logits: torch.Tensor, real: bool, mode: str) -> torch.Tensor:
    """How far `logits` are from saying "real" (or "fake")."""
    if mode == "lsgan":
        return F.mse_loss(logits, torch.full_like(logits, 1.0 if real else 0.0))
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))
    return F.relu(1.0 - logits).mean() if real else F.relu(1.0 + logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, cfg: LossConfig) -> torch.Tensor:
    return 0.5 * (adversarial(real_logits, True, cfg.gan_mode) + adversarial(fake_logits, False, cfg.gan_mode))


def edge_l1(fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between horizontal and vertical pixel differences: punishes blurred or misplaced edges."""
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]  # noqa: E731
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]  # noqa: E731
    return F.l1_loss(dx(fake), dx(target)) + F.l1_loss(dy(fake), dy(target))


def generator_loss(
    fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor, cfg: LossConfig
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Total generator loss and its parts (`g_gan`, `g_l1`, `g_edge`) for logging; `fake_logits` None
    means no adversarial term (the regression warm-up)."""
    l1 = F.l1_loss(fake, target)
    edge = edge_l1(fake, target) if cfg.edge_weight else torch.zeros((), device=fake.device)
    total = cfg.l1_weight * (l1 + cfg.edge_weight * edge)
    if fake_logits is None:
        return total, {"g_gan": torch.zeros((), device=fake.device), "g_l1": l1, "g_edge": edge}
    gan = -fake_logits.mean() if cfg.gan_mode == "hinge" else adversarial(fake_logits, True, cfg.gan_mode)
    return gan + total, {"g_gan": gan, "g_l1": l1, "g_edge": edge}
