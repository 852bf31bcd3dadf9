"""Load an open_clip model once per process, from a pretrained tag, a local weights file or nothing.

Used by the CLIP text encoder (`e2gan.text.openclip`) and the CLIP image embedder (curation).
`pretrained` may be an open_clip tag (`laion2b_s34b_b79k`, fetched from the hub on first use and cached
by huggingface_hub), a path to a `.safetensors` file, or None for random weights (tests only).
"""

from __future__ import annotations

import functools
from pathlib import Path


class ModelUnavailable(RuntimeError):
    """Weights could not be found or downloaded; the message says what to do."""


@functools.lru_cache(maxsize=4)
def load_open_clip(model_name: str, pretrained: str | None, device: str = "cpu"):
    """Return (model, preprocess, tokenizer); the model is in eval mode."""
    import open_clip

    if pretrained and Path(pretrained).suffix in {".bin", ".pt", ".pth"}:
        raise ModelUnavailable(
            f"{pretrained}: only .safetensors weight files are loaded (pickle files can run code). "
            "Convert it with safetensors.torch.save_file."
        )
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, device=device, weights_only=True
        )
    except RuntimeError as e:
        raise ModelUnavailable(
            f"Could not load open_clip {model_name} with weights {pretrained!r}: {e}. "
            "On a machine with internet the weights download on first use; offline, pass a local "
            ".safetensors file or use the offline default."
        ) from e
    except Exception as e:  # hub errors come in many types
        raise ModelUnavailable(f"Could not load open_clip {model_name} ({pretrained!r}): {type(e).__name__}: {e}") from e
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(model_name)
