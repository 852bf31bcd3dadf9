"""Tiny random stand-ins for heavy models (diffusers' get_dummy_components idea): real classes, small configs.

Nothing here is a mock: each is the real component at a size that runs on a CPU in milliseconds, saved to
disk and loaded back through the same code path a user's weights take.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

from e2gan.data import PairData
from e2gan.models.generator import GeneratorConfig
from e2gan.text.encoder import TextEmbedding

TINY_CLIP = "e2gan-tiny-clip"


def tiny_generator_config(**overrides) -> GeneratorConfig:
    base = dict(width=4, attn_width=16, heads=2, text_dim=16, text_tokens=4, pixel_scale=32)
    return GeneratorConfig(**{**base, **overrides})


def constant_text(dim: int = 16, tokens: int = 4):
    """A text function for tiny generators: one fixed embedding per distinct prompt (the same in every process)."""

    def text(prompts: list[str]) -> TextEmbedding:
        rows = [torch.tensor(np.random.default_rng(zlib.crc32(p.encode())).standard_normal((tokens, dim)), dtype=torch.float32) for p in prompts]
        return TextEmbedding(torch.stack(rows), torch.ones(len(prompts), tokens))

    return text


def invert_pairs(n: int = 4, size: int = 48, seed: int = 0) -> PairData:
    """Random images and their colour inversions: a learnable edit with a known answer."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, size, dtype=np.float32)[None, :, None]
    srcs = [np.clip(base + rng.normal(0, 40, (size, size, 3)), 0, 255).astype(np.uint8) for _ in range(n)]
    return PairData.from_arrays(srcs, [255 - s for s in srcs], ["invert the colours"] * n)


def tiny_open_clip(folder: Path) -> tuple[str, Path]:
    """Register a 3 M-parameter CLIP config and save random weights as safetensors; returns (name, file)."""
    import open_clip
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
    }
    (folder / f"{TINY_CLIP}.json").write_text(json.dumps(config))
    open_clip.add_model_config(folder / f"{TINY_CLIP}.json")
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_CLIP, pretrained=None)
    weights = folder / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    return TINY_CLIP, weights


def clip_tokenizer():
    """A real CLIP BPE tokenizer built offline from the vocabulary open_clip ships."""
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer

    bpe = SimpleTokenizer()
    merges = [pair for pair, _ in sorted(bpe.bpe_ranks.items(), key=lambda kv: kv[1])]
    end = "<end_of_text>"
    return CLIPTokenizer(
        vocab=dict(bpe.encoder), merges=merges, model_max_length=77,
        bos_token="<start_of_text>", eos_token=end, unk_token=end, pad_token=end,
    )  # fmt: skip


def tiny_diffusion_pipeline(folder: Path, kind: str = "instruct-pix2pix") -> Path:
    """Build a random InstructPix2Pix (8-channel UNet) or img2img (4-channel) pipeline and save it."""
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionImg2ImgPipeline,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32,
        in_channels=8 if kind == "instruct-pix2pix" else 4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
    )  # fmt: skip
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=32, intermediate_size=37,
            layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=2, vocab_size=49408,
        )
    )  # fmt: skip
    scheduler = EulerAncestralDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1)
    cls = StableDiffusionInstructPix2PixPipeline if kind == "instruct-pix2pix" else StableDiffusionImg2ImgPipeline
    pipe = cls(
        vae=vae, text_encoder=text_encoder, tokenizer=clip_tokenizer(), unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder


TINY_DIFFUSION_SETTINGS = {
    "instruct-pix2pix": {"steps": 2, "resolution": 64, "batch_size": 2},
    "img2img": {"steps": 4, "strength": 0.5, "resolution": 64, "batch_size": 2},
}
