"""The text-encoder interface and the registry that builds one from its name."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch


@dataclass
class TextEmbedding:
    tokens: torch.Tensor  # (B, T, D) token states, padded to T
    mask: torch.Tensor  # (B, T) 1 for real tokens, 0 for padding

    def __getitem__(self, index) -> "TextEmbedding":
        return TextEmbedding(self.tokens[index], self.mask[index])

    def to(self, device) -> "TextEmbedding":
        return TextEmbedding(self.tokens.to(device), self.mask.to(device))


class TextEncoder:
    """Base class: `encode(prompts, max_tokens)` → token states; `pooled(prompts)` → sentence vectors."""

    name: str  # stable id, saved in configs: the generator must be used with the encoder it was trained with
    dim: int

    def encode(self, prompts: list[str], max_tokens: int) -> TextEmbedding:
        raise NotImplementedError

    def pooled(self, prompts: list[str]) -> torch.Tensor:
        """(B, D) unit-length sentence embeddings (mean of real tokens), for matching prompts."""
        emb = self.encode(prompts, max_tokens=64)
        m = emb.mask[..., None].to(emb.tokens.dtype)
        vec = (emb.tokens * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(vec, dim=-1)


@functools.lru_cache(maxsize=4)
def load_text_encoder(name: str = "minilm") -> TextEncoder:
    """`minilm`, `minilm:PATH_OR_HUB_ID`, or `openclip:MODEL/PRETRAINED` (PRETRAINED: tag or .safetensors)."""
    kind, _, arg = name.partition(":")
    if kind == "minilm":
        from e2gan.text.minilm import MiniLMEncoder

        return MiniLMEncoder(arg or None)
    if kind == "openclip":
        from e2gan.text.openclip import OpenCLIPTextEncoder

        model, _, pretrained = arg.partition("/")
        return OpenCLIPTextEncoder(model or "ViT-B-32", pretrained or None)
    raise ValueError(f"unknown text encoder {name!r}: use 'minilm' or 'openclip:MODEL/PRETRAINED'")
