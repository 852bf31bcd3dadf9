"""Saving and loading models as `config.json` + `model.safetensors` (never pickle), as diffusers does.

The config names the architecture, so `load_generator(folder)` can rebuild whichever generator
(E2GAN or the pix2pix baseline) a folder holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from e2gan import atomic

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_model(model: nn.Module, config: dict, folder: str | Path) -> Path:
    """Write `config.json` (with the architecture name) and `model.safetensors` atomically."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic.atomic_path(folder / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt"})
    atomic.write_json(folder / CONFIG_FILE, {"architecture": type(model).__name__, **config})
    return folder


def read_config(folder: str | Path) -> dict:
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {CONFIG_FILE}: not a saved E2GAN model folder")
    return json.loads(path.read_text())


def read_safetensors(path: str | Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file; a truncated or foreign file is a ValueError naming it, not a crash
    deep inside a loader (a copy cut short, a disk that filled up)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{path} is damaged: not a valid safetensors file ({e}); train again or restore it") from None


def load_weights(model: nn.Module, folder: str | Path, map_location: str | torch.device = "cpu") -> None:
    """Load `model.safetensors` strictly: a mismatch names the missing and unexpected tensors."""
    path = Path(folder) / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {WEIGHTS_FILE}")
    state = read_safetensors(path, map_location)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # shape mismatches
        raise ValueError(f"{path} does not match the model in {CONFIG_FILE}: {str(e).splitlines()[-1].strip()}") from None
    if missing or unexpected:
        raise ValueError(
            f"{path} does not match the model in {CONFIG_FILE}: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )


def load_generator(folder: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the generator saved in `folder`, whichever architecture it is."""
    from e2gan.models.generator import Generator
    from e2gan.models.resnet_generator import ResnetGenerator

    architecture = read_config(folder).get("architecture", "Generator")
    classes = {"Generator": Generator, "ResnetGenerator": ResnetGenerator}
    if architecture not in classes:
        raise ValueError(f"{folder}: unknown architecture {architecture!r}")
    return classes[architecture].from_pretrained(folder, map_location)
