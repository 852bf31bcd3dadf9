"""Data reduction (E2GAN's third technique): fine-tune on a clustered subset vs a random subset vs all pairs.

    python -m benchmarks.data_reduction [--quick] [--k 5] [--steps 400] [--seeds 3]

Base + LoRA on each held-out concept, the same steps for every arm; only the training pairs differ.
Quality is held-out PSNR against the teacher; mean ± std over seeds (the seed picks the subset and the init).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks.concept_lab import EvalEvery, cluster_subset, split
from benchmarks.report import machine, publish, table
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings
from e2gan.train import Trainer, TrainSettings

CONCEPTS = ["winter", "ink", "thermal"]


def finetune_psnr(train, held, steps: int, resolution: int, seed: int) -> float:
    import tempfile
    from pathlib import Path

    g = build_generator("lora", str(shipped_base()), LoraSettings(), seed)
    judge = EvalEvery(held, resolution, steps)
    settings = TrainSettings(steps=steps, crop=resolution, lr=4e-4, seed=seed, checkpoint_every=10**9, sample_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(g, train, text_function(g), settings, Path(tmp), [judge]).fit()
    return judge.curve.points[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    concepts, steps, res, seeds = (CONCEPTS[:1], 10, 64, 2) if args.quick else (CONCEPTS, args.steps, args.resolution, args.seeds)
    info = machine()
    scores: dict[str, list[float]] = {"clustered subset": [], "random subset": [], "all pairs": []}
    for concept in concepts:
        train, held = split(concept, res)
        for seed in range(seeds):
            scores["clustered subset"].append(finetune_psnr(cluster_subset(train, args.k, seed), held, steps, res, seed))
            scores["random subset"].append(finetune_psnr(cluster_subset(train, args.k, seed, "random"), held, steps, res, seed))
            scores["all pairs"].append(finetune_psnr(train, held, steps, res, seed))
            print(concept, seed, {k: round(v[-1], 2) for k, v in scores.items()}, flush=True)
    n_all = len(split(concepts[0], res)[0])
    rows = [[name, str(args.k if "subset" in name else n_all), f"{np.mean(v):.2f} ± {np.std(v):.2f}", str(len(v))] for name, v in scores.items()]
    body = (
        f"Base + LoRA, {steps} steps at {res} px, concepts {', '.join(concepts)}, seeds 0–{seeds - 1}; "
        "held-out PSNR against the teacher (mean ± std over concepts × seeds).\n\n"
        + table(["training pairs", "count", "held-out PSNR dB", "runs"], rows)
    )
    if args.quick:
        print(body)
        return
    publish("data_reduction", f"python -m benchmarks.data_reduction --k {args.k} --steps {steps} --resolution {res} --seeds {seeds}", info, body, {"scores": scores})


if __name__ == "__main__":
    main()
