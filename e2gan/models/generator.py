"""The E2GAN generator: a small, text-conditioned image-to-image network for real-time filters.

Follows Fig. 3 of "E2GAN: Efficient Training of Efficient GANs for Image-to-Image Translation"
(Gong et al., ICML 2024):

    stem → down1 → down2 → res_in (ResBlocks) → ds → transformer → us → res_out (ResBlock) → up1 → up2 → fuse → head
    256     128     64          64              32       32          64        64           128   256    256    256
     └──────────────────────── full-resolution skip ─────────────────────────────────────────────┘      ↑
    image ─────────────────────────────────────────────────────────────────────────── raw pixels ──────┘

The transformer block (self-attention, cross-attention to the prompt's text tokens, MLP) runs at 1/8 of
the input resolution thanks to the extra down/up-sampling pair `ds`/`us`.

The prompt also sets the decoder's norms (ours): what a concept does everywhere in the frame (old photo's
sepia, night's blue cast) is a per-channel constant, and the instance norm right after the transformer
removes exactly such constants, so text that enters only through cross-attention loses most of what it says
about colour. `modulation` maps the pooled prompt to a scale and shift for the norms of `us`, `up1`, `up2`
and for `fuse` (conditional instance norm, as in Dumoulin et al. 2017, "A Learned Representation for
Artistic Style": one network, many styles). It starts as the identity; for a fixed prompt it is a constant,
so exports bake it in. Measured in BENCHMARKS.md (base data ablation).

The student sees its input (ours; the paper is silent, and pix2pix's ResNet-9 has the same blind spot):
instance norm after a conv removes any affine change of the input, so a net built only of conv → norm
blocks cannot know how bright or contrasty a scene is, and must redraw every pixel from normalised features.
Here the stem has no norm and its full-resolution features skip to `up2`, and the raw pixels enter the
per-pixel `fuse` layer next to the decoded features, so levels and fine detail reach the output directly.
Measured from scratch on the three held-out concepts (BENCHMARKS.md, ablation): this layout beats the same
network blinded the way v1 was (normalised stem, no skip, no raw pixels) by 1.2 dB held-out PSNR, and beats a
residual output (tanh(Δ + atanh(image))) by 1.8 dB: most edits replace the photo's colours rather than
adjust them, so "change nothing" is a poor default.

Other choices the paper leaves open (ours): instance norm in the trunk, zero padding (so LoRA merges
exactly), nearest Upsample + Conv instead of ConvTranspose (peft has no LoRA for it and phone runtimes
handle it badly), attention written as explicit matmuls (exports to ONNX, Core ML and the web alike, and
FLOP counters see it). Widths were chosen by measurement: see BENCHMARKS.md.

The per-pixel colour head (`fuse` → ReLU → `head`) is twice the trunk's width (ours, architecture 4). Palette
edits map colours through staircases (pixel art's 4 levels per channel, a cartoon's posterisation, thermal's
false colours), and one ReLU layer needs about two units per step and channel, more than 16 units hold for
three channels and a dozen concepts. At full resolution it costs two 1x1 convs; measured in BENCHMARKS.md
(base data ablation).

With `frame_coords` (ours) the colour head also sees where each pixel sits in the whole frame (x, y and
x² + y², from `frame_coordinates`). Instance norm and zero padding tell a crop nothing about the frame
around it, so an edit bound to the frame, such as old photo's vignette, is unlearnable from crops. Training
crops carry their window in the frame (`e2gan.data`) and a whole frame needs none, so every runner and
export computes the coordinates from the input's shape. The frame is what the filter is given: projects
store square pairs while the runtime filters whole 4:3 camera frames, so a vignette learned on squares is
stretched to the camera frame's shape, as the teacher would have drawn it on that frame.

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

DOWNSAMPLING = 8  # down1, down2 and ds halve the size: frames and crops are multiples of it
ARCHITECTURE_VERSION = 4  # 1: conv → norm stem, no skips, tanh head (blind to brightness); 2: text only through cross-attention; 3: a 16-wide colour head


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
    head_width: int = 32  # hidden channels of the per-pixel colour head (fuse → head): see the module docstring
    frame_coords: bool = False  # the colour head sees each pixel's place in the frame (a vignette): see the module docstring
    pixel_scale: int = 256  # short side, in px, of the frames it learned on (the teacher's scale); runners resize to it
    in_channels: int = 3
    out_channels: int = 3
    version: int = ARCHITECTURE_VERSION  # layout of the layers; weights of another version do not fit

    def __post_init__(self) -> None:
        if self.version != ARCHITECTURE_VERSION:
            raise ValueError(
                f"this generator was saved by an older E2GAN Studio (architecture {self.version}; this version builds "
                f"architecture {ARCHITECTURE_VERSION}: it sees its input's brightness, the prompt sets its decoder's norms, its colour head is wider): use the shipped base, or "
                "train this model again (`e2gan train-base` for a base, `e2gan finetune` for a filter)"
            )
        if self.attn_width % self.heads:
            raise ValueError(f"attn_width {self.attn_width} must be divisible by heads {self.heads}")
        if self.pixel_scale % DOWNSAMPLING:
            raise ValueError(f"pixel_scale must be a multiple of {DOWNSAMPLING}")

    @classmethod
    def from_dict(cls, d: dict) -> "GeneratorConfig":
        known = {f.name for f in fields(cls)}
        saved_before = {"version": 1, "frame_coords": False}  # what a config written before a field existed meant
        return cls(**saved_before | {k: v for k, v in d.items() if k in known})


Film = tuple[torch.Tensor, torch.Tensor]  # per-channel (scale, shift), each (B, C, 1, 1)
COORDINATES = 3  # x, y, x² + y²


def frame_coordinates(image: torch.Tensor, window: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 3, H, W): each pixel's x and y in the whole frame, -1 to 1 edge to edge, and x² + y².

    `window` (B, 4) is (top, left, height, width) of `image` inside its frame as fractions of the frame; a
    negative width is a mirrored crop. None means `image` is the whole frame. Built from the input's shape,
    so exports with dynamic sizes compute it too."""
    b, _, h, w = image.shape
    ys = ((torch.arange(h, device=image.device, dtype=image.dtype) + 0.5) / h).view(1, 1, h, 1)
    xs = ((torch.arange(w, device=image.device, dtype=image.dtype) + 0.5) / w).view(1, 1, 1, w)
    if window is not None:
        win = window.to(device=image.device, dtype=image.dtype)[:, :, None, None, None]  # (B, 4, 1, 1, 1)
        ys, xs = win[:, 0] + win[:, 2] * ys, win[:, 1] + win[:, 3] * xs
    y, x = (2 * ys - 1).expand(b, 1, h, w), (2 * xs - 1).expand(b, 1, h, w)
    return torch.cat([x, y, x * x + y * y], dim=1)


def modulate(x: torch.Tensor, film: Film | None) -> torch.Tensor:
    return x if film is None else x * (1.0 + film[0]) + film[1]


class ConvBlock(nn.Module):
    """Conv → InstanceNorm → ReLU; `stride=2` down-samples, `upsample=True` doubles the size first, `skip`
    features are concatenated after up-sampling, and `norm=False` keeps the input's levels (the stem)."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1, upsample: bool = False, norm: bool = True):
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2)
        self.norm = nn.InstanceNorm2d(c_out, affine=True) if norm else nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None, film: Film | None = None) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return F.relu(modulate(self.norm(self.conv(x)), film))


class TextModulation(nn.Module):
    """Pooled prompt → a (scale, shift) per channel of each named layer; zero-initialised, so it starts as
    the identity and a base learns only the modulation its concepts need."""

    def __init__(self, text_dim: int, channels: dict[str, int], hidden: int = 64):
        super().__init__()
        self.channels = channels
        self.embed = nn.Linear(text_dim, hidden)
        self.out = nn.Linear(hidden, 2 * sum(channels.values()))
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, text: torch.Tensor, mask: torch.Tensor | None) -> dict[str, Film]:
        if mask is None:
            pooled = text.mean(dim=1)
        else:  # the mean over real tokens only
            m = mask.to(text.dtype)[:, :, None]
            pooled = (text * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        params = self.out(F.silu(self.embed(pooled)))[:, :, None, None]  # (B, 2·ΣC, 1, 1)
        films, start = {}, 0
        for name, c in self.channels.items():
            films[name] = (params[:, start : start + c], params[:, start + c : start + 2 * c])
            start += 2 * c
        return films


class ResBlock(nn.Module):
    """Two 3x3 convs with a skip connection (their weights stay frozen during LoRA fine-tuning)."""

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
        self.stem = ConvBlock(c.in_channels, w, kernel=7, norm=False)
        self.down1 = ConvBlock(w, 2 * w, stride=2)
        self.down2 = ConvBlock(2 * w, 4 * w, stride=2)
        self.res_in = nn.Sequential(*[ResBlock(4 * w) for _ in range(c.res_blocks_in)])
        self.ds = ConvBlock(4 * w, c.attn_width, stride=2)
        self.transformer = TransformerBlock(c.attn_width, c.text_dim, c.heads, c.mlp_ratio)
        self.us = ConvBlock(c.attn_width, 4 * w, upsample=True)
        self.res_out = nn.Sequential(*[ResBlock(4 * w) for _ in range(c.res_blocks_out)])
        self.up1 = ConvBlock(4 * w, 2 * w, upsample=True)
        self.up2 = ConvBlock(2 * w + w, w, upsample=True)  # + the stem's full-resolution features
        coords = COORDINATES if c.frame_coords else 0
        self.fuse = nn.Conv2d(w + c.in_channels + coords, c.head_width, 1)  # per pixel: features, raw pixels, place
        self.head = nn.Conv2d(c.head_width, c.out_channels, 1)
        self.modulation = TextModulation(c.text_dim, {"us": 4 * w, "up1": 2 * w, "up2": w, "fuse": c.head_width})

    def forward(
        self, image: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor | None = None, window: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`window`: where a training crop sits in its frame (`frame_coordinates`); None for a whole frame."""
        film = self.modulation(text, text_mask)
        full = self.stem(image)  # (B, w, H, W), not normalised: keeps the input's levels
        x = self.down2(self.down1(full))  # (B, 4w, H/4, W/4)
        x = self.res_in(x)
        x = self.ds(x)  # (B, attn_width, H/8, W/8)
        x = self.transformer(x, text, text_mask)
        x = self.res_out(self.us(x, film=film["us"]))  # (B, 4w, H/4, W/4)
        x = self.up2(self.up1(x, film=film["up1"]), skip=full, film=film["up2"])  # (B, w, H, W)
        per_pixel = [x, image, frame_coordinates(image, window)] if self.config.frame_coords else [x, image]
        x = modulate(self.fuse(torch.cat(per_pixel, dim=1)), film["fuse"])
        return torch.tanh(self.head(F.relu(x)))

    # -- persistence: config.json + model.safetensors, never pickle --------------------------------
    def save_pretrained(self, folder: str | Path) -> Path:
        return weights.save_model(self, asdict(self.config), folder)

    @classmethod
    def from_pretrained(cls, folder: str | Path, map_location: str | torch.device = "cpu") -> "Generator":
        model = cls(GeneratorConfig.from_dict(weights.read_config(folder)))
        weights.load_weights(model, folder, map_location)
        return model
