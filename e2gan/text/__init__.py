"""Text encoders: turn an edit prompt into the token states the generator cross-attends to.

Pluggable by name (saved in every model's config): `minilm` (the default; all-MiniLM-L6-v2, whose
weights ship as a Python package, so it works offline) or `openclip:MODEL/PRETRAINED` (CLIP's text tower,
when its weights are available). Embeddings are cached in memory and on disk (`e2gan.text.cache`).
"""

from __future__ import annotations

from e2gan.text.encoder import TextEmbedding, TextEncoder, load_text_encoder

DEFAULT_TEXT_ENCODER = "minilm"

__all__ = ["DEFAULT_TEXT_ENCODER", "TextEmbedding", "TextEncoder", "load_text_encoder"]
