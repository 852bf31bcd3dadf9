"""Prompt embeddings cached in memory and on disk: a prompt is encoded once per encoder, ever.

The encoder itself is only loaded on a cache miss, so training a project whose prompts were seen before
never loads the text model. Files: `<cache>/text/<sha1>.safetensors` (tokens + mask).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from e2gan import atomic
from e2gan.text.encoder import TextEmbedding, load_text_encoder


def default_cache_dir() -> Path:
    return Path(os.environ.get("E2GAN_CACHE", Path.home() / ".cache" / "e2gan"))


class PromptCache:
    def __init__(self, encoder_name: str = "minilm", max_tokens: int = 32, cache_dir: Path | None = None):
        self.encoder_name, self.max_tokens = encoder_name, max_tokens
        self.folder = Path(cache_dir or default_cache_dir()) / "text"
        self._memory: dict[str, TextEmbedding] = {}
        self.encoded = 0  # how many prompts went through the encoder (for tests and logs)

    def _key(self, prompt: str) -> str:
        return hashlib.sha1(f"{self.encoder_name}\0{self.max_tokens}\0{prompt}".encode()).hexdigest()

    def get(self, prompts: list[str]) -> TextEmbedding:
        """(B, T, D) embeddings for `prompts`, encoding only those never seen before."""
        from safetensors.torch import load_file, save_file

        missing = []
        for p in dict.fromkeys(prompts):
            key = self._key(p)
            if key in self._memory:
                continue
            path = self.folder / f"{key}.safetensors"
            if path.is_file():
                try:
                    d = load_file(str(path))
                    self._memory[key] = TextEmbedding(d["tokens"], d["mask"])
                    continue
                except Exception:
                    path.unlink(missing_ok=True)  # a damaged cache entry is re-encoded
            missing.append(p)
        if missing:
            emb = load_text_encoder(self.encoder_name).encode(missing, self.max_tokens)
            self.encoded += len(missing)
            self.folder.mkdir(parents=True, exist_ok=True)
            for i, p in enumerate(missing):
                key = self._key(p)
                self._memory[key] = item = TextEmbedding(emb.tokens[i].clone(), emb.mask[i].clone())
                with atomic.atomic_path(self.folder / f"{key}.safetensors") as tmp:
                    save_file({"tokens": item.tokens, "mask": item.mask}, str(tmp))
        items = [self._memory[self._key(p)] for p in prompts]
        return TextEmbedding(torch.stack([e.tokens for e in items]), torch.stack([e.mask for e in items]))
