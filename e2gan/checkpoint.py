"""Training checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a folder `checkpoints/step-000200/` (tensors.safetensors + meta.json) built under a
temp name and renamed into place; `checkpoints/latest.json` then points at it. A process killed at any
moment leaves the previous checkpoint as `latest`, so resuming never reads a half-written file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from e2gan import atomic

LATEST = "latest.json"
KEEP = 2


def save(
    folder: Path, step: int, models: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], meta: dict
) -> Path:
    """Write a checkpoint for `step`; returns its folder."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    info: dict[str, Any] = {"step": step, "meta": meta, "optimizers": {}}
    for name, model in models.items():
        for key, value in model.state_dict().items():
            tensors[f"model.{name}.{key}"] = value.detach().cpu().contiguous()
    for name, opt in optimizers.items():
        info["optimizers"][name] = _flatten_optimizer(opt, f"opt.{name}", tensors)
    staging = Path(tempfile.mkdtemp(prefix=atomic.TEMP_PREFIX + "ckpt-", dir=folder))
    try:
        save_file(tensors, str(staging / "tensors.safetensors"))
        (staging / "meta.json").write_text(json.dumps(info))
        for f in staging.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = folder / f"step-{step:07d}"
        if final.exists():
            shutil.rmtree(final)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    atomic.write_json(folder / LATEST, {"step": step, "dir": final.name})
    _prune(folder, keep=final.name)
    return final


def latest(folder: Path) -> Path | None:
    """The newest complete checkpoint folder, or None."""
    try:
        pointer = atomic.read_json(folder / LATEST)
    except (OSError, ValueError):
        return None
    path = folder / pointer["dir"]
    return path if (path / "meta.json").is_file() else None


def load(path: Path, models: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer]) -> dict:
    """Restore models and optimizers in place from a checkpoint folder; returns its info (step, meta)."""
    from safetensors.torch import load_file

    tensors = load_file(str(path / "tensors.safetensors"))
    info = json.loads((path / "meta.json").read_text())
    for name, model in models.items():
        prefix = f"model.{name}."
        model.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, opt in optimizers.items():
        opt.load_state_dict(_unflatten_optimizer(info["optimizers"][name], f"opt.{name}", tensors))
    return info


def _flatten_optimizer(opt: torch.optim.Optimizer, prefix: str, tensors: dict) -> dict:
    state = opt.state_dict()
    scalars: dict[str, dict] = {}
    for idx, entry in state["state"].items():
        scalars[str(idx)] = {}
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{idx}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[str(idx)][key] = value
    return {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(info: dict, prefix: str, tensors: dict) -> dict:
    state: dict[int, dict] = {int(i): dict(v) for i, v in info["scalars"].items()}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": info["param_groups"]}


def _prune(folder: Path, keep: str) -> None:
    steps = sorted(p for p in folder.glob("step-*") if p.is_dir())
    for old in steps[:-KEEP]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
