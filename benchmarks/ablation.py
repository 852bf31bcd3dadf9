"""Ablation: what each design and recipe choice is worth, on the quality benchmark's held-out photos.

Every variant changes one thing against a reference and trains for the same number of steps with several
seeds on each held-out concept; the table gives held-out PSNR (mean ± sd over seeds) through the runtime.
Two families:

- architecture (from scratch, so the base's training does not favour one layout): the generator as it
  ships against the same network blinded the way v1 was (instance norm after the stem, no full-resolution
  skip, no raw pixels at the output), against a residual output (tanh(Δ + atanh(image))), with frame
  coordinates, and at other widths (`benchmarks/sizing.py` gives each width's cost). Blinding is done by
  feeding zeros where the skip and the pixels enter, which is exactly a network without those inputs.
- recipe (base + LoRA from the shipped base, the Quick preset): edge loss, norms and biases, moving
  average, LoRA ranks, learning rate, an adversarial phase after a regression warm-up, batches of small crops, bf16.

Finished runs are kept in `results/<name>_runs/` with a fingerprint of what decides them
(`benchmarks/run_store.py`), so a long ablation stopped part-way resumes, and a run made under other
settings or another base is never published.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.quality import judging_crops, run_parts, runner_for, score, training_pairs, teacher_edits
from benchmarks.report import RESULTS, machine, publish, table
from benchmarks.run_store import Key, RunStore, file_digest
from e2gan.base_model import base_preset
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings, apply_lora
from e2gan.models.generator import Generator, GeneratorConfig, frame_coordinates, modulate
from e2gan.presets import get_preset
from e2gan.train import Trainer, TrainSettings


class Blind(Generator):
    """v1's blind spot: a normalised stem, no full-resolution skip, no raw pixels at the output."""

    def __init__(self, config=None):
        super().__init__(config)
        self.stem.norm = nn.InstanceNorm2d(self.config.width, affine=True)

    def forward(self, image, text, text_mask=None, window=None):
        film = self.modulation(text, text_mask)
        full = self.stem(image)
        x = self.ds(self.res_in(self.down2(self.down1(full))))
        x = self.res_out(self.us(self.transformer(x, text, text_mask), film=film["us"]))
        x = self.up2(self.up1(x, film=film["up1"]), skip=torch.zeros_like(full), film=film["up2"])
        place = [frame_coordinates(image, window)] if self.config.frame_coords else []
        x = modulate(self.fuse(torch.cat([x, torch.zeros_like(image), *place], dim=1)), film["fuse"])
        return torch.tanh(self.head(F.relu(x)))


class Residual(Generator):
    """The output as a change of the input: tanh(Δ + atanh(image))."""

    def forward(self, image, text, text_mask=None, window=None):
        delta = torch.atanh(super().forward(image, text, text_mask, window).clamp(-0.999, 0.999))
        return torch.tanh(delta + torch.atanh(image.clamp(-0.99, 0.99)))


@dataclass
class Variant:
    title: str
    mode: str = "lora"  # lora (from the shipped base) | scratch
    network: type = Generator  # for scratch variants
    config: dict = field(default_factory=dict)  # GeneratorConfig overrides, for scratch variants
    settings: dict = field(default_factory=dict)  # TrainSettings overrides on top of the preset
    lora: dict = field(default_factory=dict)  # LoraSettings overrides
    preset: str = "quick"  # the training preset it starts from (assets/presets/training.json)


VARIANTS = {
    "arch": Variant("generator as shipped (from scratch)", "scratch"),
    "arch-blind": Variant("v1's blind layout: normed stem, no skip, no raw pixels (from scratch)", "scratch", Blind),
    "arch-residual": Variant("residual output tanh(Δ + atanh(image)) (from scratch)", "scratch", Residual),
    "arch-coords": Variant("… with frame coordinates in the colour head (from scratch)", "scratch", config={"frame_coords": True}),
    "width-8": Variant("… width 8, attention width 32 (from scratch)", "scratch", config={"width": 8, "attn_width": 32}),
    "width-12": Variant("… width 12, attention width 48 (from scratch)", "scratch", config={"width": 12, "attn_width": 48}),
    "width-24": Variant("… width 24, attention width 96 (from scratch)", "scratch", config={"width": 24, "attn_width": 96}),
    "recipe": Variant("base + LoRA, Quick preset as shipped"),
    "no-edge": Variant("… without the edge loss", settings={"edge_weight": 0.0}),
    "lora-only": Variant("… LoRA alone (norms and biases frozen)", lora={"norms_and_biases": False}),
    "ranks-small": Variant("… LoRA ranks 4/8/8/4 (down, ds_us, transformer, up), the earlier default", lora={"ranks": {"down": 4, "ds_us": 8, "transformer": 8, "up": 4}}),
    "ranks-32": Variant("… LoRA rank 32 on every group", lora={"ranks": {"down": 32, "ds_us": 32, "transformer": 32, "up": 32}}),
    "no-ema": Variant("… keeping the last weights (no moving average)", settings={"ema": 0.0}),
    "lr-half": Variant("… half the learning rate", settings={"lr_scale": 0.5}),
    "lr-double": Variant("… twice the learning rate", settings={"lr_scale": 2.0}),
    "lr-double-ranks-32": Variant("… twice the learning rate and LoRA rank 32 on every group (the two best single changes together)",
                                  settings={"lr_scale": 2.0}, lora={"ranks": {"down": 32, "ds_us": 32, "transformer": 32, "up": 32}}),
    "decay-all": Variant("… learning rate decaying linearly from the first step (instead of after half)", settings={"decay_from": 0.0}),
    "beta-0.5": Variant("… Adam β1 0.5, pix2pix's (the recipe before β1 0.9 was adopted)", settings={"beta1": 0.5}),
    "gan": Variant("… adversarial term after a 50% regression warm-up", settings={"gan_from": 0.5}),
    "one-crop": Variant("… one 256 px crop per step instead of four 128 px crops (same pixels)", settings={"crop": 256, "batch_size": 1}),
    "lora-everywhere": Variant("… LoRA even on layers it does not shrink (stem, up2, fuse, head), instead of plain copies", lora={"copy_small_layers": False}),
    "bf16": Variant("… bf16 autocast on the CPU", settings={"precision": "bf16"}),
    "quick-long": Variant("… 2.5x the steps (1,500 on 12 pairs: the Standard preset's training time)", settings={"steps": 1500}),
    "standard": Variant("base + LoRA, Standard preset as shipped (Quick's recipe, 2.5x the steps)", preset="standard"),
    "standard-gan": Variant("… with an adversarial term after half the steps", preset="standard", settings={"gan_from": 0.5}),
    "standard-256": Variant("… the former Standard: pairs of 256 px crops, 720 steps, 2e-3, moving average 0.995", preset="standard",
                            settings={"crop": 256, "batch_size": 2, "steps": 720, "lr_scale": 0.5, "ema": 0.995}),
    "quality": Variant("base + LoRA, Quality preset as shipped (batches of four 256 px crops, adversarial term after half, "
                       "LoRA at 2e-3, moving average 0.998)", preset="quality"),
    "standard-double": Variant("… Standard's recipe with twice its steps (3,000 on 12 pairs)", preset="standard", settings={"steps": 3000}),
}


def variant_settings(v: Variant, pairs: int, steps: int | None, seed: int) -> TrainSettings:
    """The preset's settings for `pairs` pairs with the variant's overrides (None steps: the preset's budget)."""
    overrides = dict(v.settings) | ({"steps": steps} if steps else {})
    scale = overrides.pop("lr_scale", 1.0)
    settings = get_preset(v.preset).train_settings(pairs, v.mode, seed=seed, checkpoint_every=10**9, sample_every=10**9, **overrides)
    settings.lr *= scale
    return settings


def variant_key(v: Variant, data, crops, steps: int | None, base: Path) -> Key:
    """Everything that decides a variant's result except the seed: a stored run counts only while it matches."""
    parts = {"mode": v.mode, "network": v.network.__name__, "preset": v.preset, **run_parts(variant_settings(v, len(data), steps, seed=0), data, crops)}
    if v.mode == "scratch":
        parts["generator"] = asdict(GeneratorConfig(**v.config))
    else:
        parts["lora"], parts["base"] = asdict(LoraSettings(**v.lora)), file_digest(base / "model.safetensors")
    return Key(parts)


def train_variant(v: Variant, data, crops, targets, steps: int | None, seed: int, base: Path) -> dict:
    """Held-out PSNR and training seconds after `steps` (None: the preset's own budget for this many pairs)."""
    settings = variant_settings(v, len(data), steps, seed)
    torch.manual_seed(seed)
    if v.mode == "scratch":
        generator = v.network(GeneratorConfig(**v.config))
    else:
        generator = apply_lora(build_generator("full", str(base), None, seed), LoraSettings(**v.lora), copy_base=False)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, data, text_function(generator), settings, Path(tmp))
        seconds = trainer.fit().wall_s
    with torch.no_grad():
        runner = runner_for(trainer.generator.cpu().eval(), data.prompts[0], 256)
        return {"psnr": score([runner(c) for c in crops], targets)["psnr"], "wall_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--concepts", default=None)
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default: each variant's preset budget)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--name", default="ablation", help="results name (one BENCHMARKS.md section per name)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = args.variants.split(",")
    if unknown := [n for n in names if n not in VARIANTS]:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    concepts = args.concepts.split(",") if args.concepts else base_preset("shipped")["held_out"]
    if args.quick:
        concepts, args.steps, args.seeds = concepts[:1], 2, 1
    info, base, crops = machine(), args.base or shipped_base(), judging_crops()
    store = RunStore(None if args.quick else RESULTS / f"{args.name}_runs")
    scores: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    seconds: dict[str, list[float]] = {n: [] for n in names}
    runs = []
    for concept in concepts:
        data = training_pairs(concept)
        targets = teacher_edits(concept, crops, seed=0)
        for name in names:
            key = variant_key(VARIANTS[name], data, crops, args.steps, base)
            for seed in range(args.seeds):
                if (run := store.get(concept, name, seed, key)) is None:
                    run = train_variant(VARIANTS[name], data, crops, targets, args.steps, seed, base)
                    store.put(concept, name, seed, key, run, None)
                    run = store.get(concept, name, seed, key)  # with its time stamp
                runs.append(run)
                scores[name].setdefault(concept, []).append(run["psnr"])
                seconds[name].append(run["wall_s"])
            print(f"{name} {concept}: {np.mean(scores[name][concept]):.2f} ± {np.std(scores[name][concept]):.2f}", flush=True)
    rows = []
    for name in names:
        per = scores[name]
        seed_means = [np.mean([per[c][s] for c in concepts]) for s in range(args.seeds)]
        rows.append([f"`{name}` {VARIANTS[name].title}", *[f"{np.mean(per[c]):.2f} ± {np.std(per[c]):.2f}" for c in concepts],
                     f"{np.mean(seed_means):.2f} ± {np.std(seed_means):.2f}",
                     f"{np.mean(seconds[name]):.0f}", f"{np.mean(seconds[name]) / np.mean(seconds[names[0]]):.2f}x"])  # fmt: skip
    budget = f"{args.steps} steps" if args.steps else "Each preset's own step budget"
    first, last = store.measured(runs)
    kept = f"Runs are kept in `benchmarks/results/{args.name}_runs/` and finished between {first} and {last}. " if store.folder and first else ""
    body = (
        kept + f"{budget} per run, {args.seeds} seeds, held-out PSNR (dB) through the runtime on the quality "
        f"benchmark's crops; mean ± sd over seeds. Training time: mean seconds per run, and its ratio to the "
        f"first variant's (a fair ratio only between runs made on an equally quiet machine).\n\n" + table(["variant", *concepts, "mean", "train s", "time vs first"], rows)
    )
    if args.quick:
        print(body)
        return
    command = f"python -m benchmarks.ablation --variants {args.variants} --seeds {args.seeds}"
    command += "".join(f" --{k} {v}" for k, v in (("steps", args.steps), ("concepts", args.concepts), ("name", args.name)) if v and v != "ablation")
    publish(args.name, command, info, body, {"scores": scores, "seconds": seconds})


if __name__ == "__main__":
    main()
