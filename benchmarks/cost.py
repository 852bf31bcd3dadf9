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


def run(concepts: list[str], steps: int, resolution: int, every: int, k: int, target: float) -> dict:
    results: dict[str, dict] = {}
    for concept in concepts:
        train, held = split(concept, resolution)
        results[concept] = {}
        for arm in ARMS:
            r = train_arm(arm, train, held, steps, resolution, every, k=k)
            reach = r.curve.first_reaching(target)
            results[concept][arm] = {
                "trainable": r.trainable, "stored_bytes": r.stored_bytes, "pairs": r.pairs,
                "flops_per_step": r.flops_per_step, "final_psnr": r.final_psnr, "curve": r.curve.points,
                "steps_to_target": reach[0] if reach else None, "seconds_to_target": reach[1] if reach else None,
                "flops_to_target": reach[0] * r.flops_per_step if reach else None,
            }  # fmt: skip
            print(concept, arm, f"{r.final_psnr:.2f} dB", reach, flush=True)
    return results


def summarise(results: dict, target: float) -> tuple[str, list[list]]:
    rows = []
    for arm, label in ARMS.items():
        per = [results[c][arm] for c in results]
        reached = [p for p in per if p["steps_to_target"] is not None]
        mean = lambda key: float(np.mean([p[key] for p in reached])) if len(reached) == len(per) else None  # noqa: E731
        secs, flops = mean("seconds_to_target"), mean("flops_to_target")
        rows.append([
            f"({arm}) {label}", f"{per[0]['trainable']:,}", f"{per[0]['stored_bytes'] / 1e6:.2f} MB",
            f"{int(np.mean([p['pairs'] for p in per]))}",
            f"{len(reached)}/{len(per)}", "—" if secs is None else f"{secs:.0f} s",
            "—" if flops is None else f"{flops / 1e12:.2f} TFLOP",
            f"{np.mean([p['final_psnr'] for p in per]):.2f}",
        ])  # fmt: skip
    return "", rows


def ratios(results: dict) -> str:
    """Our counterparts of the paper's headline ratios: (d)/(e) against (a)."""
    def mean(arm, key):
        vals = [results[c][arm][key] for c in results]
        return None if any(v is None for v in vals) else float(np.mean(vals))

    lines = []
    for arm in ("d", "e"):
        t_a, t = mean("a", "seconds_to_target"), mean(arm, "seconds_to_target")
        f_a, f = mean("a", "flops_to_target"), mean(arm, "flops_to_target")
        p_a, p = mean("a", "trainable"), mean(arm, "trainable")
        time_r = "n/a (a target not reached)" if not (t_a and t) else f"{t_a / t:.1f}x less time"
        flop_r = "n/a" if not (f_a and f) else f"{f_a / f:.1f}x fewer FLOPs"
        lines.append(f"- ({arm}) vs (a): {time_r}, {flop_r}, {p_a / p:.0f}x fewer trainable parameters "
                     "(paper: 4.8x less time, 14x fewer FLOPs, ~121x fewer trainable / ~860x fewer stored params).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few minutes on a CPU: 1 concept, 64 px, 20 steps")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--every", type=int, default=50, help="evaluate every N steps")
    parser.add_argument("--k", type=int, default=5, help="pairs in the clustered subset of arm (e)")
    parser.add_argument("--target", type=float, default=None, help="held-out PSNR target (default: (a)'s final PSNR − 0.5 dB)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    concepts = HELD_OUT[:1] if args.quick else HELD_OUT
    steps, res, every = (20, 64, 10) if args.quick else (args.steps, args.resolution, args.every)
    info = machine()
    provisional = args.target if args.target is not None else -1e9
    results = run(concepts, steps, res, every, args.k, provisional)
    target = args.target
    if target is None:  # the baseline's own final quality: how fast does each arm get there?
        target = float(np.mean([results[c]["a"]["final_psnr"] for c in concepts])) - 0.5
        for c in concepts:
            for arm, r in results[c].items():
                reach = next(((s, t) for s, t, v in r["curve"] if v >= target), None)
                r["steps_to_target"], r["seconds_to_target"] = (reach or (None, None))
                r["flops_to_target"] = reach[0] * r["flops_per_step"] if reach else None
    _, rows = summarise(results, target)
    chart = line_chart(
        {f"({a}) {ARMS[a]}": [(t, v) for _, t, v in results[concepts[0]][a]["curve"]] for a in ARMS},
        f"{concepts[0]}: held-out PSNR vs training time", "training seconds", "PSNR dB",
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.quick:
        chart.save(RESULTS / "cost.png")
    body = (
        f"Held-out concepts: {', '.join(concepts)}; {steps} steps at {res} px per arm, batch 1; target = held-out PSNR "
        f"≥ {target:.2f} dB (the pix2pix baseline's final quality − 0.5 dB, averaged over concepts). Means over concepts; "
        "'—' means an arm did not reach the target on every concept within the budget.\n\n"
        + table(["arm", "trainable params", "stored", "pairs", "reached", "time to target", "training FLOPs to target", "final PSNR dB"], rows)
        + "\n\n" + ratios(results)
        + ("\n\n![held-out PSNR over training time](benchmarks/results/cost.png)" if not args.quick else "")
    )
    command = "python -m benchmarks.cost" + (" --quick" if args.quick else f" --steps {steps} --resolution {res} --every {every} --k {args.k}")
    if args.quick:
        print(body)
        print(json.dumps({"concepts": concepts, "target": target}, indent=1))
        return
    publish("cost", command, info, body, {"target": target, "results": results})


if __name__ == "__main__":
    main()
