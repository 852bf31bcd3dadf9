"""Are the studio's training-time estimates honest? Each preset's estimate (`e2gan.estimate`, what the Train
tab shows before a run) next to the measured time of the same run on this machine.

    python -m benchmarks.estimates [--presets quick,standard] [--pairs 6,14] [--quick]

The run is what the Train tab starts: base + LoRA from the shipped base, the preset's crops, batch, steps
and recipe, on the teacher's pairs of the sample photos (a held-out concept). The target is the estimate
within ±30% of the measured time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from benchmarks.quality import training_pairs
from benchmarks.report import machine, publish, table
from e2gan.estimate import estimate
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings
from e2gan.presets import get_preset
from e2gan.progress import format_duration
from e2gan.train import Trainer

TOLERANCE = 0.30


def measured_seconds(preset, data) -> tuple[int, float]:
    """(steps, seconds) of a real Train-tab run of `preset` on `data`."""
    settings = preset.train_settings(len(data), "lora", checkpoint_every=10**9, sample_every=10**9)
    generator = build_generator("lora", str(shipped_base()), LoraSettings(), 0)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, data, text_function(generator), settings, Path(tmp))
        start = time.perf_counter()
        result = trainer.fit()
    return result.steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="quick,standard")
    parser.add_argument("--pairs", default="6,14", help="pair counts to estimate and train (a subset of the sample set)")
    parser.add_argument("--concept", default="ink")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="seconds-long check: few steps, small crops; publishes nothing")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    info = machine()
    all_pairs = training_pairs(args.concept, 64 if args.quick else 256)
    rows, results = [], []
    for name in args.presets.split(","):
        for n in [int(x) for x in args.pairs.split(",")]:
            data = all_pairs.subset(list(range(min(n, len(all_pairs)))))
            preset = get_preset(name)
            if args.quick:
                preset = replace(preset, min_steps=4, max_steps=4, crop=32, batch_size=2)
            e = estimate(preset, len(data))  # the estimate and the run use one preset object
            steps, seconds = measured_seconds(preset, data)
            ratio = e.seconds / seconds
            ok = abs(ratio - 1) <= TOLERANCE
            results.append({"preset": name, "pairs": len(data), "steps": steps, "estimate_s": e.seconds, "measured_s": seconds, "ratio": ratio})
            rows.append([preset.title, str(len(data)), str(steps), format_duration(e.seconds), format_duration(seconds), f"{ratio:.2f}", "yes" if ok else "**no**"])
            print(rows[-1], flush=True)
    body = (
        f"Base + LoRA from the shipped base on the {args.concept} pairs of the sample photos; estimate first (as the Train tab "
        f"shows it), then the same run measured, {args.threads} threads. Target: within ±{TOLERANCE:.0%}.\n\n"
        + table(["preset", "pairs", "steps", "estimate", "measured", "estimate / measured", "within ±30%"], rows)
    )
    if args.quick:
        print(body)
        return
    publish("estimates", f"python -m benchmarks.estimates --presets {args.presets} --pairs {args.pairs} --concept {args.concept}", info, body, {"results": results})


if __name__ == "__main__":
    main()
