"""pix2pix's ResNet-9 generator, the baseline every E2GAN comparison is made against.

A faithful copy of `ResnetGenerator` (n_blocks=9, ngf=64, instance norm without affine parameters,
reflection padding, no dropout, ConvTranspose up-sampling) from junyanz/pytorch-CycleGAN-and-pix2pix
(`models/networks.py`): 11.4 M parameters, ~99 GFLOP per 256x256 forward (2 per multiply-add).
It takes no text: one model per concept, trained from scratch, as in the paper's baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from e2gan.models import weights


@dataclass
class ResnetConfig:
    ngf: int = 64  # filters in the first conv layer
    n_blocks: int = 9  # ResNet blocks at 1/4 resolution
    in_channels: int = 3
    out_channels: int = 3


class ResnetBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=True),
            nn.InstanceNorm2d(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=True),
            nn.InstanceNorm2d(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Image in [-1, 1] → image in [-1, 1]. `text` and `window` are accepted and ignored (same call shape)."""

    def __init__(self, config: ResnetConfig | None = None):
        super().__init__()
        self.config = c = config or ResnetConfig()
        ngf = c.ngf
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(c.in_channels, ngf, 7, bias=True),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):  # down-sampling
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                nn.InstanceNorm2d(ngf * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4) for _ in range(c.n_blocks)]
        for i in range(2):  # up-sampling
            mult = 2 ** (2 - i)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=True),
                nn.InstanceNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, c.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, text: torch.Tensor | None = None, text_mask=None, window=None) -> torch.Tensor:
        return self.model(image)

    def save_pretrained(self, folder: str | Path) -> Path:
        return weights.save_model(self, asdict(self.config), folder)

    @classmethod
    def from_pretrained(cls, folder: str | Path, map_location="cpu") -> "ResnetGenerator":
        cfg = {k: v for k, v in weights.read_config(folder).items() if k in ResnetConfig.__dataclass_fields__}
        model = cls(ResnetConfig(**cfg))
        weights.load_weights(model, folder, map_location)
        return model
