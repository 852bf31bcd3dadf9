"""Cost of a new concept, the paper's table at our scale: five ways to get a filter for a held-out concept.

    python -m benchmarks.cost [--quick] [--steps 600] [--resolution 128] [--target 20]

(a) pix2pix ResNet-9 from scratch, (b) E2GAN from scratch, (c) shipped base + full fine-tune,
(d) shipped base + LoRA on the crucial layers, (e) (d) on a clustered subset of K pairs. Each trains on the
same concept pairs (built-in teacher over the built-in photos; 4 photos held out to judge) for the same
number of steps; we record when each first reaches the quality target (held-out PSNR against the teacher),
the wall time and training FLOPs to get there, trainable and stored parameters, and the final quality.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from benchmarks.concept_lab import ARMS, split, train_arm
from benchmarks.plot import line_chart
from benchmarks.report import RESULTS, machine, publish, table

HELD_OUT = ["winter", "ink", "thermal"]


def run(concepts: list[str], steps: int, resolution: int, every: int, k: int) -> dict:
    results: dict[str, dict] = {}
    for concept in concepts:
        train, held = split(concept, resolution)
        results[concept] = {}
        for arm in ARMS:
            r = train_arm(arm, train, held, steps, resolution, every, k=k)
            results[concept][arm] = {
                "trainable": r.trainable, "stored_bytes": r.stored_bytes, "pairs": r.pairs,
                "flops_per_step": r.flops_per_step, "final_psnr": r.final_psnr, "curve": r.curve.points,
            }  # fmt: skip
            print(concept, arm, f"{r.final_psnr:.2f} dB", flush=True)
    return results


def at_target(results: dict, targets: dict[str, float]) -> dict:
    """A copy of `results` with steps, seconds and training FLOPs to first reach each concept's target."""
    out = {}
    for concept, arms in results.items():
        out[concept] = {}
        for arm, r in arms.items():
            reach = next(((st, t) for st, t, v in r["curve"] if v >= targets[concept]), None)
            out[concept][arm] = {
                **r, "steps_to_target": reach[0] if reach else None, "seconds_to_target": reach[1] if reach else None,
                "flops_to_target": reach[0] * r["flops_per_step"] if reach else None,
            }  # fmt: skip
    return out


def _mean(results: dict, arm: str, key: str) -> float | None:
    vals = [results[c][arm][key] for c in results]
    return None if any(v is None for v in vals) else float(np.mean(vals))


def summarise(results: dict) -> list[list]:
    rows = []
    for arm, label in ARMS.items():
        per = [results[c][arm] for c in results]
        reached = sum(p["steps_to_target"] is not None for p in per)
        steps, secs, flops = (_mean(results, arm, k) for k in ("steps_to_target", "seconds_to_target", "flops_to_target"))
        rows.append([
            f"({arm}) {label}", f"{per[0]['trainable']:,}", f"{per[0]['stored_bytes'] / 1e6:.2f} MB",
            f"{int(np.mean([p['pairs'] for p in per]))}", f"{reached}/{len(per)}",
            "—" if steps is None else f"{steps:.0f}", "—" if secs is None else f"{secs:.0f} s",
            "—" if flops is None else f"{flops / 1e12:.3f} TFLOP", f"{np.mean([p['final_psnr'] for p in per]):.2f}",
        ])  # fmt: skip
    return rows


def ratios(results: dict, against: str, arms: tuple[str, ...]) -> list[str]:
    """Our counterparts of the paper's headline ratios: each arm against `against` at the same target."""
    lines = []
    for arm in arms:
        t0, t = _mean(results, against, "seconds_to_target"), _mean(results, arm, "seconds_to_target")
        f0, f = _mean(results, against, "flops_to_target"), _mean(results, arm, "flops_to_target")
        s0, s = _mean(results, against, "steps_to_target"), _mean(results, arm, "steps_to_target")
        p0, p = _mean(results, against, "trainable"), _mean(results, arm, "trainable")
        if not (t0 and t):
            who = f"({arm})" if not t else f"({against})"
            lines.append(f"- ({arm}) vs ({against}): {who} did not reach the target on every concept; {p0 / p:.0f}x fewer trainable parameters.")
            continue
        lines.append(f"- ({arm}) vs ({against}): {s0 / s:.1f}x fewer steps, {t0 / t:.1f}x less time, {f0 / f:.1f}x fewer "
                     f"training FLOPs, {p0 / p:.0f}x fewer trainable parameters.")  # fmt: skip
    return lines


HEADERS = ["arm", "trainable params", "stored", "pairs", "reached", "steps to target", "time to target", "training FLOPs to target", "final PSNR dB"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few minutes on a CPU: 1 concept, 64 px, 20 steps")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--every", type=int, default=50, help="evaluate every N steps")
    parser.add_argument("--k", type=int, default=5, help="pairs in the clustered subset of arm (e)")
    parser.add_argument("--target", type=float, default=None, help="one held-out PSNR target for every concept (default: per concept, (a)'s final PSNR − 0.5 dB)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rerender", action="store_true", help="rewrite the BENCHMARKS.md section from benchmarks/results/cost.json")
    args = parser.parse_args()
    if args.rerender:
        return rerender()
    torch.set_num_threads(args.threads)
    concepts = HELD_OUT[:1] if args.quick else HELD_OUT
    steps, res, every = (8, 32, 4) if args.quick else (args.steps, args.resolution, args.every)
    info = machine()
    results = run(concepts, steps, res, every, args.k)
    report(results, concepts, steps, res, every, args.k, args.target, info, args.quick)


def report(results: dict, concepts: list[str], steps: int, res: int, every: int, k: int, target: float | None, info: dict, quick: bool) -> None:
    """Two targets per concept: pix2pix's final quality there (the paper's framing), and E2GAN-from-scratch's
    (does starting from the base help?), each − 0.5 dB; or one fixed `target` for every concept."""
    final = lambda arm: {c: results[c][arm]["final_psnr"] - 0.5 for c in concepts}  # noqa: E731
    first = {c: target for c in concepts} if target is not None else final("a")
    vs_pix2pix, vs_scratch = at_target(results, first), at_target(results, final("b"))
    listed = lambda t: ", ".join(f"{c} {v:.2f}" for c, v in t.items())  # noqa: E731
    chart = line_chart(
        {f"({a}) {ARMS[a]}": [(t, v) for _, t, v in results[concepts[0]][a]["curve"]] for a in ARMS},
        f"{concepts[0]}: held-out PSNR vs training time", "training seconds", "PSNR dB",
    )
    body = (
        f"Held-out concepts: {', '.join(concepts)}; {steps} steps at {res} px per arm, batch 1, held-out PSNR against the "
        f"teacher every {every} steps. Means over concepts; '—' means an arm did not reach the target on every concept "
        "within the budget.\n\n"
        f"**Target 1: the pix2pix baseline's final quality − 0.5 dB** on each concept ({listed(first)} dB): the paper's "
        "comparison.\n\n"
        + table(HEADERS, summarise(vs_pix2pix)) + "\n\n" + "\n".join(ratios(vs_pix2pix, "a", ("b", "d", "e")))
        + f"\n\n**Target 2: E2GAN from scratch's final quality − 0.5 dB** on each concept ({listed(final('b'))} dB): "
        "does starting from the base help?\n\n"
        + table(HEADERS, summarise(vs_scratch)) + "\n\n" + "\n".join(ratios(vs_scratch, "b", ("c", "d", "e")) + ratios(vs_scratch, "a", ("c",)))
        + "\n\nPaper (its scale, FID-matched): 4.8x less time, 14x fewer FLOPs, ~121x fewer trainable and ~860x fewer "
        "stored parameters than its baselines."
        + ("\n\n![held-out PSNR over training time](benchmarks/results/cost.png)" if not quick else "")
    )
    command = "python -m benchmarks.cost" + (" --quick" if quick else f" --steps {steps} --resolution {res} --every {every} --k {k}")
    command += f" --target {target}" if target is not None else ""
    if quick:
        print(body)
        print(json.dumps({"concepts": concepts, "targets": first}, indent=1))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    chart.save(RESULTS / "cost.png")
    publish("cost", command, info, body, {"target": target, "results": results})  # target None: per concept


def rerender() -> None:
    """Re-publish BENCHMARKS.md's section from the saved results (after a change to the table, no retraining)."""
    saved = json.loads((RESULTS / "cost.json").read_text())
    command = saved["command"]
    num = lambda flag: int(command.split(flag)[1].split()[0])  # noqa: E731
    concepts = list(saved["results"])
    fixed = saved["target"] if "--target" in command else None  # older files stored the derived target
    report(saved["results"], concepts, num("--steps"), num("--resolution"), num("--every"), num("--k"), fixed, saved["machine"], False)


if __name__ == "__main__":
    main()
