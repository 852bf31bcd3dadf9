"""A trained filter, assembled to run: base generator + LoRA adapter (or a whole model) + the prompt's
embedding function. Training, evaluation, export, the runtime, the studio and the benchmarks all load
filters here, so an app that only runs filters never imports the trainer.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from e2gan.assets import asset
from e2gan.models.generator import GeneratorConfig
from e2gan.models.weights import load_generator
from e2gan.runs import Run
from e2gan.text.cache import PromptCache
from e2gan.text.encoder import TextEmbedding


def shipped_base() -> Path:
    """The pretrained base generator that ships with the studio (assets/base)."""
    return asset("base")


PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def resolve_base(base: str | Path | None) -> Path:
    """The base generator folder, checked up front: it must hold a real safetensors file (pickles can run
    code when loaded, so they are refused even when they are all there is)."""
    path = Path(base).expanduser() if base else shipped_base()
    weights = path / "model.safetensors"
    if not weights.is_file():
        pickles = sorted(p.name for p in path.glob("*") if p.suffix in PICKLE_SUFFIXES) if path.is_dir() else []
        if pickles:
            raise ValueError(
                f"{path} holds only pickle weights ({', '.join(pickles)}); they are never loaded because "
                "unpickling can run code. Save the model as model.safetensors."
            )
        raise FileNotFoundError(
            f"no base generator at {path}: train one with `e2gan train-base`, or pass --base FOLDER"
        )
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt"):
            pass
    except Exception as e:  # noqa: BLE001 - any parse failure means the same thing to the user
        raise ValueError(f"{weights} is not a valid safetensors file ({e}); nothing was loaded.") from None
    return path


def trained_generator(run: Run, merge: bool = False) -> nn.Module:
    """A finished run's generator: the base with its LoRA adapter (merged if asked), or the whole model."""
    from e2gan import lora

    s = run.settings
    if s["mode"] != "lora":
        return load_generator(run.output_dir)
    generator = lora.load_adapter(load_generator(s["base"]), run.output_dir, copy_base=False)
    return lora.merge(generator) if merge else generator


def text_function(generator: nn.Module):
    """The prompt-embedding function a generator needs (none for pix2pix, which ignores text)."""
    config = getattr(_unwrap(generator), "config", None)
    if not isinstance(config, GeneratorConfig):
        return lambda prompts: TextEmbedding(torch.zeros(len(prompts), 1, 1), torch.ones(len(prompts), 1))
    return PromptCache(config.text_encoder, config.text_tokens).get


def _unwrap(model: nn.Module) -> nn.Module:
    return model.get_base_model() if hasattr(model, "get_base_model") else model
