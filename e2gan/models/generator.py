"""The E2GAN generator: a small, text-conditioned image-to-image network for real-time filters.

Follows Fig. 3 of "E2GAN: Efficient Training of Efficient GANs for Image-to-Image Translation"
(Gong et al., ICML 2024):

    stem → down1 → down2 → res_in (ResBlocks) → ds → transformer → us → res_out (ResBlock) → up1 → up2 → head
    256     128     64          64              32       32          64        64           128   256    256

The transformer block (self-attention, cross-attention to the prompt's text tokens, MLP) runs at 1/8 of
the input resolution thanks to the extra down/up-sampling pair `ds`/`us`; text enters only there.
Choices the paper leaves open (ours): instance norm, zero padding (so LoRA merges exactly), nearest
Upsample + Conv instead of ConvTranspose (peft has no LoRA for it and phone runtimes handle it badly),
attention written as explicit matmuls (exports to ONNX, Core ML and the web alike, and FLOP counters see it).
Widths were chosen by measurement: see BENCHMARKS.md.

Submodules are named so that LoRA targets read as a sentence: see `e2gan.lora.CRUCIAL_LAYERS`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from e2gan.models import weights


@dataclass
class GeneratorConfig:
    width: int = 16  # channels after the stem; doubled by each of the two down-sampling convs
    attn_width: int = 64  # channels of the transformer block (tokens at 1/8 resolution)
    heads: int = 2  # attention heads in the transformer block
    mlp_ratio: int = 2  # hidden size of the transformer's MLP, as a multiple of attn_width
    res_blocks_in: int = 2  # ResBlocks between down-sampling and the transformer (paper: 2)
    res_blocks_out: int = 1  # ResBlocks between the transformer and up-sampling (paper: 1)
    text_encoder: str = "minilm"  # which encoder's token states it was trained on (e2gan.text)
    text_dim: int = 384  # size of the text encoder's token states (all-MiniLM-L6-v2: 384)
    text_tokens: int = 32  # prompt tokens the cross-attention sees (padded/truncated)
    resolution: int = 256  # training resolution; any multiple of 8 works at inference
    in_channels: int = 3
    out_channels: int = 3

    def __post_init__(self) -> None:
        if self.attn_width % self.heads:
            raise ValueError(f"attn_width {self.attn_width} must be divisible by heads {self.heads}")
        if self.resolution % 8:
            raise ValueError("resolution must be a multiple of 8")

    @classmethod
    def from_dict(cls, d: dict) -> "GeneratorConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


class ConvBlock(nn.Module):
    """Conv → InstanceNorm → ReLU; `stride=2` down-samples, `upsample=True` doubles the size first."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1, upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2)
        self.norm = nn.InstanceNorm2d(c_out, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.relu(self.norm(self.conv(x)))


class ResBlock(nn.Module):
    """Two 3x3 convs with a skip connection (frozen during LoRA fine-tuning)."""

    def __init__(self, c: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.InstanceNorm2d(c, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(h))


class Attention(nn.Module):
    """Multi-head attention with separate q/k/v/out Linear layers (LoRA targets) and explicit matmuls."""

    def __init__(self, dim: int, context_dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(context_dim, dim)
        self.v = nn.Linear(context_dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        B, N, C = x.shape
        h = self.heads
        q = self.q(x).reshape(B, N, h, C // h).transpose(1, 2)  # (B, h, N, d)
        k = self.k(context).reshape(B, -1, h, C // h).transpose(1, 2)  # (B, h, M, d)
        v = self.v(context).reshape(B, -1, h, C // h).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(C // h))  # (B, h, N, M)
        if mask is not None:  # (B, M) with 1 for real tokens
            scores = scores + (1.0 - mask[:, None, None, :].to(scores.dtype)) * -1e4
        out = torch.matmul(scores.softmax(dim=-1), v)  # (B, h, N, d)
        return self.out(out.transpose(1, 2).reshape(B, N, C))


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Self-attention over image tokens, cross-attention to the prompt, then an MLP (pre-norm)."""

    def __init__(self, dim: int, text_dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attn = Attention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attn = Attention(dim, text_dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor | None) -> torch.Tensor:
        B, C, H, W = x.shape
        t = x.flatten(2).transpose(1, 2)  # (B, H*W, C)
        n = self.norm1(t)
        t = t + self.self_attn(n, n)
        t = t + self.cross_attn(self.norm2(t), text, text_mask)
        t = t + self.mlp(self.norm3(t))
        return t.transpose(1, 2).reshape(B, C, H, W)


class Generator(nn.Module):
    """Image in [-1, 1] (B, 3, H, W) + prompt tokens (B, T, text_dim) → edited image in [-1, 1]."""

    def __init__(self, config: GeneratorConfig | None = None):
        super().__init__()
        self.config = c = config or GeneratorConfig()
        w = c.width
        self.stem = ConvBlock(c.in_channels, w, kernel=7)
        self.down1 = ConvBlock(w, 2 * w, stride=2)
        self.down2 = ConvBlock(2 * w, 4 * w, stride=2)
        self.res_in = nn.Sequential(*[ResBlock(4 * w) for _ in range(c.res_blocks_in)])
        self.ds = ConvBlock(4 * w, c.attn_width, stride=2)
        self.transformer = TransformerBlock(c.attn_width, c.text_dim, c.heads, c.mlp_ratio)
        self.us = ConvBlock(c.attn_width, 4 * w, upsample=True)
        self.res_out = nn.Sequential(*[ResBlock(4 * w) for _ in range(c.res_blocks_out)])
        self.up1 = ConvBlock(4 * w, 2 * w, upsample=True)
        self.up2 = ConvBlock(2 * w, w, upsample=True)
        self.head = nn.Conv2d(w, c.out_channels, 7, padding=3)

    def forward(self, image: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.down2(self.down1(self.stem(image)))  # (B, 4w, H/4, W/4)
        x = self.res_in(x)
        x = self.ds(x)  # (B, attn_width, H/8, W/8)
        x = self.transformer(x, text, text_mask)
        x = self.res_out(self.us(x))  # (B, 4w, H/4, W/4)
        x = self.up2(self.up1(x))  # (B, w, H, W)
        return torch.tanh(self.head(x))

    # -- persistence: config.json + model.safetensors, never pickle --------------------------------
    def save_pretrained(self, folder: str | Path) -> Path:
        return weights.save_model(self, asdict(self.config), folder)

    @classmethod
    def from_pretrained(cls, folder: str | Path, map_location: str | torch.device = "cpu") -> "Generator":
        model = cls(GeneratorConfig.from_dict(weights.read_config(folder)))
        weights.load_weights(model, folder, map_location)
        return model
