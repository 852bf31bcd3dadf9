"""Conditional PatchGAN discriminator (pix2pix): judges (input, output) pairs patch by patch.

It sees the input image and an output (the teacher's or the generator's) stacked as 6 channels, so it
learns whether the output is a plausible *edit of that input*, not just a plausible image. With
`n_layers=3` each output logit sees a 70x70 patch, as in pix2pix.

Ours: instance norm instead of batch norm (batch size 1 is common here, and results then don't depend on
the batch); `width=32` by default instead of pix2pix's 64, which halves a CPU training step with little
effect on the small generator (it only has to be a good enough critic).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass
class DiscriminatorConfig:
    width: int = 32  # filters in the first layer (pix2pix: 64)
    n_layers: int = 3  # 3 → 70x70 receptive field
    in_channels: int = 6  # input image + candidate output


class PatchDiscriminator(nn.Module):
    def __init__(self, config: DiscriminatorConfig | None = None):
        super().__init__()
        self.config = c = config or DiscriminatorConfig()
        layers: list[nn.Module] = [nn.Conv2d(c.in_channels, c.width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, c.n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < c.n_layers else 1
            layers += [
                nn.Conv2d(c.width * prev, c.width * mult, 4, stride, 1, bias=False),
                nn.InstanceNorm2d(c.width * mult, affine=True),
                nn.LeakyReLU(0.2, True),
            ]
        layers += [nn.Conv2d(c.width * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, source: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) × 2 → patch logits (B, 1, H/8 - 2, W/8 - 2)."""
        return self.model(torch.cat([source, candidate], dim=1))

    def to_dict(self) -> dict:
        return asdict(self.config)
