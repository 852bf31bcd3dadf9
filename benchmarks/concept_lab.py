"""Shared pieces of the per-concept benchmarks: held-out data, the five training arms, evaluation over time.

A concept's data is a built-in offline teacher over the built-in photos: all but the last `eval_photos`
photos train, the last ones judge (PSNR against the teacher). The shipped base never saw these concepts
(assets/presets/base.json lists them as held out).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from e2gan.base_model import concept_pairs
from e2gan.callbacks import TrainCallback
from e2gan.data import PairData
from e2gan.evaluate import score_on_pairs
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings
from e2gan.train import Trainer, TrainSettings, training_flops_per_step

ARMS = {
    "a": "pix2pix ResNet-9 from scratch, all pairs",
    "b": "E2GAN from scratch, all pairs",
    "c": "base + full fine-tune, all pairs",
    "d": "base + LoRA (crucial layers), all pairs",
    "e": "base + LoRA, clustered subset",
}
MODE = {"a": "pix2pix", "b": "scratch", "c": "full", "d": "lora", "e": "lora"}
LR = {"a": 2e-4, "b": 2e-4, "c": 2e-4, "d": 4e-4, "e": 4e-4}  # LoRA adapters start at zero: a higher rate


def split(concept: str, resolution: int, eval_photos: int = 4) -> tuple[PairData, PairData]:
    data = concept_pairs([concept], resolution)
    n = len(data)
    return data.subset(range(n - eval_photos)), data.subset(range(n - eval_photos, n))


def cluster_subset(data: PairData, k: int, seed: int = 0, method: str = "cluster") -> PairData:
    """E2GAN's data reduction on in-memory pairs, chosen exactly as the Curate step chooses: the product's
    embedder, pair-feature space (`PairFeatures.vectors`) and selection (`e2gan.curate.select`)."""
    from PIL import Image

    from e2gan.curate import CurateSettings
    from e2gan.curate.embedders import load_embedder
    from e2gan.curate.features import PairFeatures
    from e2gan.curate.select import select

    model = load_embedder(CurateSettings().embedder)
    to_img = lambda t: Image.fromarray(t.permute(1, 2, 0).numpy())  # noqa: E731
    ids = [str(i) for i in range(len(data))]
    features = PairFeatures(ids, model.embed([to_img(s) for s in data.sources]), model.embed([to_img(t) for t in data.targets]))
    chosen = select(ids, features.vectors(), k, method, seed).ids
    return data.subset([int(i) for i in chosen])


@dataclass
class Curve:
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (step, train seconds, eval PSNR)

    def first_reaching(self, target: float) -> tuple[int, float] | None:
        for step, seconds, value in self.points:
            if value >= target:
                return step, seconds
        return None


class EvalEvery(TrainCallback):
    """Judge the student on held-out photos every `every` steps; evaluation time is not training time."""

    def __init__(self, eval_data: PairData, resolution: int, every: int):
        self.eval_data, self.resolution, self.every = eval_data, resolution, every
        self.curve = Curve()
        self.eval_seconds = 0.0

    def on_step(self, trainer, step, losses):
        if step % self.every and step != trainer.settings.steps:
            return
        start = time.monotonic()
        self.curve.points.append((step, trainer.elapsed_s - self.eval_seconds, measure(trainer, self.eval_data, self.resolution)))
        self.eval_seconds += time.monotonic() - start


@torch.no_grad()
def measure(trainer: Trainer, data: PairData, resolution: int) -> float:
    return score_on_pairs(trainer.generator, trainer.text, data, resolution)["psnr"]


@dataclass
class ArmResult:
    arm: str
    curve: Curve
    trainable: int
    stored_bytes: int
    flops_per_step: int
    final_psnr: float
    pairs: int


def train_arm(arm: str, train: PairData, eval_data: PairData, steps: int, resolution: int, every: int,
              base: Path | None = None, k: int = 0, seed: int = 0) -> ArmResult:  # fmt: skip
    """Train one arm for `steps` and record its held-out PSNR over training time."""
    data = cluster_subset(train, k, seed) if arm == "e" else train
    base_dir = str(base or shipped_base())
    generator = build_generator(MODE[arm], base_dir, LoraSettings() if MODE[arm] == "lora" else None, seed)
    settings = TrainSettings(steps=steps, crop=resolution, lr=LR[arm], seed=seed, checkpoint_every=10**9, sample_every=10**9)
    judge = EvalEvery(eval_data, resolution, every)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, data, text_function(generator), settings, Path(tmp), [judge])
        flops = training_flops_per_step(trainer)
        trainer.fit()
    trainable = sum(p.numel() for p in generator.parameters() if p.requires_grad)
    stored = trainable * 4 if MODE[arm] == "lora" else sum(p.numel() for p in generator.parameters()) * 4
    return ArmResult(arm, judge.curve, trainable, stored, flops, judge.curve.points[-1][2], len(data))
