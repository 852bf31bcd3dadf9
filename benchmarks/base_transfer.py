"""Base transfer (E2GAN's first technique): does a base trained on many concepts help a new one more than a
base trained on one concept, or no base at all?

    python -m benchmarks.base_transfer [--quick] [--base-steps 1500] [--steps 300]

Two bases are trained here with the same budget and recipe: one on every non-held-out built-in concept
("many"), one on a single concept ("one", cartoon). Each held-out concept is then learned with LoRA from each
base, and (no base) by training the whole E2GAN generator from scratch, all for the same steps.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.concept_lab import EvalEvery, split
from benchmarks.report import machine, publish, table
from e2gan.base_model import base_preset, concept_pairs, train_base
from e2gan.finetune import build_generator, text_function
from e2gan.lora import LoraSettings
from e2gan.models.generator import GeneratorConfig
from e2gan.train import Trainer, TrainSettings

HELD_OUT = ["winter", "ink", "thermal"]


def quick_base(concepts: list[str], out: Path, steps: int, resolution: int) -> Path:
    settings = TrainSettings(steps=steps, resolution=resolution, checkpoint_every=10**9, sample_every=10**9)
    train_base(concept_pairs(concepts, resolution), out, settings, GeneratorConfig(resolution=resolution))
    return out


def learn(mode: str, base: Path | None, train, held, steps: int, resolution: int) -> float:
    g = build_generator(mode, str(base) if base else None, LoraSettings() if mode == "lora" else None, 0)
    judge = EvalEvery(held, resolution, steps)
    lr = 4e-4 if mode == "lora" else 2e-4
    settings = TrainSettings(steps=steps, resolution=resolution, lr=lr, checkpoint_every=10**9, sample_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(g, train, text_function(g), settings, Path(tmp), [judge]).fit()
    return judge.curve.points[-1][2]


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
    scores: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bases = {
            f"base on {len(many)} concepts + LoRA": quick_base(many, Path(tmp) / "many", base_steps, res),
            "base on 1 concept (cartoon) + LoRA": quick_base(["cartoon"], Path(tmp) / "one", base_steps, res),
        }
        for concept in held_out:
            train, held = split(concept, res)
            for name, base in bases.items():
                scores.setdefault(name, []).append(learn("lora", base, train, held, steps, res))
            scores.setdefault("no base: E2GAN from scratch", []).append(learn("scratch", None, train, held, steps, res))
            print(concept, {k: round(v[-1], 2) for k, v in scores.items()}, flush=True)
    rows = [[name, f"{np.mean(v):.2f}", " / ".join(f"{x:.2f}" for x in v)] for name, v in scores.items()]
    body = (
        f"Bases: {base_steps} steps at {res} px each, same recipe. Then {steps} steps on each held-out concept "
        f"({', '.join(held_out)}); held-out PSNR against the teacher.\n\n"
        + table(["starting point", "mean PSNR dB", "per concept"], rows)
    )
    if args.quick:
        print(body)
        return
    publish("base_transfer", f"python -m benchmarks.base_transfer --base-steps {base_steps} --steps {steps} --resolution {res}", info, body, {"scores": scores})


if __name__ == "__main__":
    main()
