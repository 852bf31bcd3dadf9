"""Training presets (assets/presets/training.json): how long and at what resolution to train.

Steps scale with the number of training pairs (E2GAN's point: a small curated set needs few steps), within
each preset's bounds. `e2gan.estimate` turns a preset and a pair count into time and memory on this machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from e2gan.train import TrainSettings

PRESETS_FILE = Path(__file__).resolve().parent.parent / "assets" / "presets" / "training.json"


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    resolution: int
    steps_per_pair: int
    min_steps: int
    max_steps: int
    lr: float
    checkpoint_every: int
    sample_every: int

    def steps_for(self, n_pairs: int) -> int:
        return int(min(self.max_steps, max(self.min_steps, self.steps_per_pair * n_pairs)))

    def train_settings(self, n_pairs: int, **overrides) -> "TrainSettings":
        from e2gan.train import TrainSettings

        values = dict(
            steps=self.steps_for(n_pairs), resolution=self.resolution, lr=self.lr,
            checkpoint_every=self.checkpoint_every, sample_every=self.sample_every,
        )  # fmt: skip
        return TrainSettings(**{**values, **overrides})


def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    raw = json.loads(Path(path).read_text())
    names = {f.name for f in fields(Preset)} - {"name"}
    return {key: Preset(name=key, **{k: v for k, v in value.items() if k in names}) for key, value in raw.items()}


def get_preset(name: str) -> Preset:
    presets = load_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(presets)}")
    return presets[name]
