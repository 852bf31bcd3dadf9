"""Training presets (assets/presets/training.json): how long, on what crops and with which recipe to train.

Steps scale with the number of training pairs (E2GAN's point: a small curated set needs few steps), within
each preset's bounds. Learning rates are per training mode, because they start from different places:
LoRA adapters start at zero on a trained base, full fine-tuning moves a trained base, scratch and pix2pix
start from random weights. The LoRA rate is measured (BENCHMARKS.md, ablation: Recipe, 3 seeds: twice the
earlier 4e-3 gains 0.28 dB, half loses 0.69); the other modes' rates are not swept yet.
`e2gan.estimate` turns a preset and a pair count into time and memory on this machine.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from e2gan.assets import asset

if TYPE_CHECKING:
    from e2gan.train import TrainSettings

PRESETS_FILE = asset("presets", "training.json")
ENV_PRESETS = "E2GAN_PRESETS"  # a JSON file of one's own presets, in the same format, used instead


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    crop: int  # training crop size, px (filters always run at the project's pixel scale)
    batch_size: int
    steps_per_pair: int
    min_steps: int
    max_steps: int
    lr: dict[str, float] = field(default_factory=dict)  # training mode → generator learning rate
    edge_weight: float = 1.0
    gan_from: float = 0.5  # regression warm-up fraction before the adversarial term (1 = none)
    ema: float = 0.99
    precision: str = "auto"  # e2gan.train.TrainSettings.precision
    beta1: float = 0.9  # Adam β1: 0.9 beat pix2pix's 0.5 by 0.29 dB for regression-only LoRA (ablation: schedule)
    checkpoint_every: int = 100
    sample_every: int = 50

    def steps_for(self, n_pairs: int) -> int:
        return int(min(self.max_steps, max(self.min_steps, self.steps_per_pair * n_pairs)))

    def train_settings(self, n_pairs: int, mode: str = "lora", **overrides) -> "TrainSettings":
        from e2gan.train import TrainSettings

        values = dict(
            steps=self.steps_for(n_pairs), crop=self.crop, batch_size=self.batch_size, lr=self.lr[mode],
            edge_weight=self.edge_weight, gan_from=self.gan_from, ema=self.ema, beta1=self.beta1,
            precision=self.precision,
            checkpoint_every=self.checkpoint_every, sample_every=self.sample_every,
        )  # fmt: skip
        return TrainSettings(**{**values, **overrides})


def load_presets(path: Path | None = None) -> dict[str, Preset]:
    raw = json.loads(Path(path or os.environ.get(ENV_PRESETS) or PRESETS_FILE).read_text())
    names = {f.name for f in fields(Preset)} - {"name"}
    return {key: Preset(name=key, **{k: v for k, v in value.items() if k in names}) for key, value in raw.items()}


def get_preset(name: str) -> Preset:
    presets = load_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(presets)}")
    return presets[name]
