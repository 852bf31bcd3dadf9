"""CLIP's text tower (open_clip) as a text encoder: per-token states after the final layer norm."""

from __future__ import annotations

import torch

from e2gan.clip_model import load_open_clip
from e2gan.text.encoder import TextEmbedding, TextEncoder


class OpenCLIPTextEncoder(TextEncoder):
    def __init__(self, model_name: str = "ViT-B-32", pretrained: str | None = None):
        self.model, _, self.tokenizer = load_open_clip(model_name, pretrained)
        self.name = f"openclip:{model_name}/{pretrained or ''}"
        self.dim = self.model.ln_final.normalized_shape[0]

    @torch.no_grad()
    def encode(self, prompts: list[str], max_tokens: int) -> TextEmbedding:
        ids = self.tokenizer(list(prompts))  # (B, context_length), zero-padded
        m = self.model
        x = m.token_embedding(ids) + m.positional_embedding
        x = m.ln_final(m.transformer(x, attn_mask=m.attn_mask))  # (B, ctx, width)
        mask = (ids != 0).float()
        mask[:, 0] = 1.0  # the start token is never padding
        return TextEmbedding(x[:, :max_tokens].float(), mask[:, :max_tokens])
