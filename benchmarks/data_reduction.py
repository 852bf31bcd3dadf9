"""Data reduction (E2GAN's third technique): train on a clustered subset of the pairs, a random one, or all.

    python -m benchmarks.data_reduction [--k 4,8,16] [--seeds 3] [--quick]

A project with many photos: each held-out concept's teacher over the sample photos, each seen whole and in
7 views augmented before teaching (96 pairs, as the base's data is made). The default filter path (base +
LoRA, Quick preset, its own step budget for the pair count) trains on K pairs picked exactly as the Curate
step picks them (the product's embedder, pair features and `e2gan.curate.select`), on K picked at random,
and on all of them. Judged like the quality benchmark: held-out PSNR on the judging photos through the
runtime. The verdict per K is the paired difference clustered − random (same concept, same seed), with a
95% confidence interval over concepts × seeds. Runs are kept like the quality benchmark's.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks.quality import ARMS, arm_key, judging_crops, teacher_edits, train_arm
from benchmarks.report import RESULTS, machine, publish, table
from benchmarks.run_store import Key, RunStore
from e2gan.base_model import base_preset, concept_pairs
from e2gan.data import PairData
from e2gan.filters import shipped_base
from e2gan.presets import get_preset
from e2gan.teachers.offline import EDITS

ARM = "quick-lora"  # the default filter path
RUNS = RESULTS / "data_reduction_runs"
METHODS = {"cluster": "clustered subset (Curate)", "random": "random subset"}


def pool(concept: str, pixel_scale: int, views: int) -> PairData:
    """Many pairs of one concept, as a user's project holds them: one prompt, the teacher's edit of each view."""
    data = concept_pairs([concept], pixel_scale, views)
    data.prompts = [EDITS[concept].prompt] * len(data)
    return data


def subset(data: PairData, k: int, method: str, seed: int) -> PairData:
    """K pairs chosen as the Curate step chooses them (`method` "cluster" or "random")."""
    from PIL import Image

    from e2gan.curate import CurateSettings
    from e2gan.curate.embedders import load_embedder
    from e2gan.curate.features import PairFeatures
    from e2gan.curate.select import select

    model = load_embedder(CurateSettings().embedder)
    to_img = lambda t: Image.fromarray(t.permute(1, 2, 0).numpy())  # noqa: E731
    ids = [str(i) for i in range(len(data))]
    features = PairFeatures(ids, model.embed([to_img(s) for s in data.sources]), model.embed([to_img(t) for t in data.targets]))
    return data.subset([int(i) for i in select(ids, features.vectors(), k, method, seed).ids])


def interval(diffs: list[float]) -> tuple[float, float]:
    """Mean and half-width of a 95% t-interval."""
    from scipy import stats

    d = np.asarray(diffs, float)
    if len(d) < 2:
        return float(d.mean()), float("nan")
    return float(d.mean()), float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))


def verdict(mean: float, half: float) -> str:
    if not np.isfinite(half):
        return "one run: no interval"
    if mean - half > 0:
        return "clustered better"
    if mean + half < 0:
        return "random better"
    return "no clear difference"


def render(psnr: dict[str, list[float]], ks: list[int], n_pool: int, concepts: list[str], seeds: int) -> str:
    fmt = lambda v: f"{np.mean(v):.2f} ± {np.std(v):.2f}" if v else "–"  # noqa: E731
    rows = []
    for k in ks:
        c, r = psnr.get(f"cluster-{k}", []), psnr.get(f"random-{k}", [])
        n = min(len(c), len(r))
        mean, half = interval([a - b for a, b in zip(c[:n], r[:n])]) if n else (float("nan"), float("nan"))
        rows.append([str(k), fmt(c), fmt(r), f"{mean:+.2f} ± {half:.2f}" if n > 1 else "–", verdict(mean, half) if n else "not run"])
    rows.append([f"all {n_pool}", fmt(psnr.get("all", [])), "", "", ""])
    return (
        f"Base + LoRA, Quick preset (the default path), concepts {', '.join(concepts)}, seeds 0–{seeds - 1}; a pool of "
        f"{n_pool} pairs per concept. Held-out PSNR (dB) on the quality benchmark's judging crops through the runtime, "
        "mean ± sd over concepts × seeds; the difference is clustered − random on the same concept and seed, "
        "with its 95% confidence interval.\n\n"
        + table(["K pairs", "clustered subset (Curate)", "random subset", "clustered − random (95% CI)", "verdict"], rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", default="4,8,16")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--concepts", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="seconds-long: one concept, one seed, 2 steps, small pool")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    preset = base_preset("shipped")
    concepts = args.concepts.split(",") if args.concepts else preset["held_out"]
    ks = [int(k) for k in args.k.split(",")]
    scale, views, seeds = preset["pixel_scale"], preset["views"], args.seeds
    crops = judging_crops()
    overrides: dict = {}
    if args.quick:
        concepts, views, seeds, ks, crops = concepts[:1], 1, 1, [2], crops[:2]
        overrides = {"steps": 2, "crop": 64, "batch_size": 1}
    store, base, info = RunStore(None if args.quick else RUNS), shipped_base(), machine()
    psnr: dict[str, list[float]] = {}
    for concept in concepts:
        data, targets = pool(concept, scale, views), teacher_edits(concept, crops, seed=0)
        arms = {f"{m}-{k}": (m, k) for k in ks for m in METHODS} | {"all": ("all", len(data))}
        for name, (method, k) in arms.items():
            steps = overrides.get("steps") or get_preset(ARMS[ARM].preset).train_settings(k, ARMS[ARM].mode).steps
            key = Key({"arm": arm_key(ARM, data, crops, base, {**overrides, "steps": steps}), "method": method, "k": k})
            for seed in range(seeds):
                if (run := store.get(concept, name, seed, key)) is None:
                    train = data if method == "all" else subset(data, k, method, seed)
                    r = train_arm(ARM, train, crops, targets, seed, base, overrides, every=10**9)
                    run = {**r.scores, "wall_s": r.wall_s, "steps": r.steps}
                    store.put(concept, name, seed, key, run, None)
                    print(f"{concept} {name} seed {seed}: {r.scores['psnr']:.2f} dB in {r.wall_s:.0f} s ({r.steps} steps)", flush=True)
                psnr.setdefault(name, []).append(run["psnr"])
    body = render(psnr, ks, len(data), concepts, seeds)
    if args.quick:
        print(body)
        return
    command = f"python -m benchmarks.data_reduction --k {','.join(map(str, ks))} --seeds {seeds}"
    publish("data_reduction", command, info, body, {"psnr": psnr})


if __name__ == "__main__":
    main()
