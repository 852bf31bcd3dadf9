"""Base transfer (E2GAN's first technique): does a base trained on many concepts help a new one more than a
base trained on one concept, or no base at all?

    python -m benchmarks.base_transfer [--quick] [--base-steps 1500] [--steps 300]

Two bases are trained here with the same budget and recipe: one on every non-held-out built-in concept
("many"), one on a single concept ("one", cartoon). Each held-out concept is then learned with LoRA from each
base, from the shipped base (for reference: far longer training, at 256 px), and (no base) by training the
whole E2GAN generator from scratch, all for the same steps, with held-out PSNR recorded along the way.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.concept_lab import EvalEvery, split
from benchmarks.plot import line_chart
from benchmarks.report import RESULTS, machine, publish, table
from e2gan.base_model import base_preset, concept_pairs, train_base
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings
from e2gan.models.generator import GeneratorConfig
from e2gan.train import Trainer, TrainSettings

HELD_OUT = ["winter", "ink", "thermal"]


def quick_base(concepts: list[str], out: Path, steps: int, resolution: int) -> Path:
    settings = TrainSettings(steps=steps, crop=resolution, checkpoint_every=10**9, sample_every=10**9)
    train_base(concept_pairs(concepts, resolution), out, settings, GeneratorConfig(pixel_scale=resolution))
    return out


def learn(mode: str, base: Path | None, train, held, steps: int, resolution: int) -> list[tuple[int, float, float]]:
    """Held-out PSNR over training: [(step, seconds, PSNR)], six points and the end."""
    g = build_generator(mode, str(base) if base else None, LoraSettings() if mode == "lora" else None, 0)
    judge = EvalEvery(held, resolution, max(1, steps // 6))
    lr = 4e-4 if mode == "lora" else 2e-4
    settings = TrainSettings(steps=steps, crop=resolution, lr=lr, checkpoint_every=10**9, sample_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(g, train, text_function(g), settings, Path(tmp), [judge]).fit()
    return judge.curve.points


def steps_to(curve: list, target: float) -> int | None:
    return next((step for step, _, value in curve if value >= target), None)


def summarise(curves: dict[str, list[list]]) -> tuple[list[list], dict[str, list[tuple[float, float]]]]:
    """Table rows (final PSNR, steps to reach the no-base arm's final PSNR) and the mean curves."""
    scratch = [c[-1][2] for c in curves[NO_BASE]]
    rows, mean_curves = [], {}
    for name, per_concept in curves.items():
        finals = [c[-1][2] for c in per_concept]
        reach = [steps_to(c, t) for c, t in zip(per_concept, scratch)]
        reached = "—" if None in reach else f"{np.mean(reach):.0f}"
        rows.append([name, f"{np.mean(finals):.2f}", " / ".join(f"{x:.2f}" for x in finals), reached])
        steps = [p[0] for p in per_concept[0]]
        mean_curves[name] = [(st, float(np.mean([c[i][2] for c in per_concept]))) for i, st in enumerate(steps)]
    return rows, mean_curves


NO_BASE = "no base: E2GAN from scratch"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--base-steps", type=int, default=1500)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base_steps, steps, res, held_out = (10, 10, 64, HELD_OUT[:1]) if args.quick else (args.base_steps, args.steps, args.resolution, HELD_OUT)
    info = machine()
    many = base_preset("shipped")["concepts"]
    curves: dict[str, list[list]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bases = {
            f"base on {len(many)} concepts + LoRA": quick_base(many, Path(tmp) / "many", base_steps, res),
            "base on 1 concept (cartoon) + LoRA": quick_base(["cartoon"], Path(tmp) / "one", base_steps, res),
            "shipped base (12,000 steps at 256 px) + LoRA": shipped_base(),
        }
        for concept in held_out:
            train, held = split(concept, res)
            for name, base in bases.items():
                curves.setdefault(name, []).append(learn("lora", base, train, held, steps, res))
            curves.setdefault(NO_BASE, []).append(learn("scratch", None, train, held, steps, res))
            print(concept, {k: round(v[-1][-1][2], 2) for k, v in curves.items()}, flush=True)
    rows, mean_curves = summarise(curves)
    body = (
        f"Bases: {base_steps} steps at {res} px each, same recipe (and the shipped base for reference). Then {steps} "
        f"steps on each held-out concept ({', '.join(held_out)}); held-out PSNR against the teacher. 'Steps to match' is "
        "the first evaluation at which an arm reached the no-base arm's *final* PSNR on every concept (mean over concepts).\n\n"
        + table(["starting point", "mean PSNR dB", "per concept", "steps to match no base"], rows)
    )
    if args.quick:
        print(body)
        return
    chart = line_chart(mean_curves, "held-out PSNR while learning a new concept (mean of 3)", "training steps", "PSNR dB")
    RESULTS.mkdir(parents=True, exist_ok=True)
    chart.save(RESULTS / "base_transfer.png")
    body += "\n\n![held-out PSNR over training steps](benchmarks/results/base_transfer.png)"
    command = f"python -m benchmarks.base_transfer --base-steps {base_steps} --steps {steps} --resolution {res}"
    publish("base_transfer", command, info, body, {"curves": curves})


if __name__ == "__main__":
    main()
