"""The shipped base generator's model card: what it was trained on, for how long, and how well it does.

    python -m benchmarks.base_card [--base assets/base] [--quick]

Judges the base zero-shot (no fine-tuning) against the offline teachers at the base's resolution, on the
concepts it saw and on the held-out ones it never saw, next to doing nothing (the photo unchanged), and
writes `MODEL_CARD.md` and a sample grid beside the weights. How fast it *learns* a held-out concept is
the cost benchmark's job (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from benchmarks.report import machine, table
from e2gan.base_model import base_preset, concept_pairs
from e2gan.evaluate import evaluate, grid, psnr, ssim
from e2gan.finetune import shipped_base, text_function
from e2gan.models.weights import load_generator
from e2gan.teachers.offline import EDITS


def judge(generator, concepts: list[str], resolution: int) -> list[list]:
    rows = []
    text = text_function(generator)
    for key in concepts:
        data = concept_pairs([key], resolution, margin=1.0)
        result, _ = evaluate(generator, text, data, resolution)
        src, tgt, _ = data.fixed(range(len(data)), resolution)
        rows.append([EDITS[key].title, len(data), f"{result.psnr:.2f}", f"{result.ssim:.3f}", f"{psnr(src, tgt):.2f}", f"{ssim(src, tgt):.3f}"])
    return rows


def sample_grid(generator, concepts: list[str], resolution: int, photos: int = 4):
    text = text_function(generator)
    columns = []
    for key in concepts:
        data = concept_pairs([key], resolution, margin=1.0).subset(range(photos))
        _, out = evaluate(generator, text, data, resolution)
        src, tgt, _ = data.fixed(range(len(data)), resolution)
        columns.append((src, tgt, out))
    return grid(*(torch.cat(parts) for parts in zip(*columns)), size=96)


def card(base: Path, training: dict, preset: dict, seen: list[list], held: list[list], shown: list[str], info: dict) -> str:
    headers = ["concept", "photos", "base PSNR dB", "base SSIM", "unchanged photo PSNR dB", "unchanged SSIM"]
    hours = training["wall_s"] / 3600
    return f"""# E2GAN Studio base generator

The pretrained multi-concept base every new filter starts from (E2GAN's "base model"): fine-tuning
adds LoRA adapters on its crucial layers instead of training a generator from scratch.

- **Architecture**: E2GAN generator ({json.loads((base / "config.json").read_text())["width"]} channels wide, one
  transformer block with cross-attention to the prompt), text from the offline MiniLM encoder; see `config.json`.
- **Data**: {training["pairs"]} before/after pairs: the built-in offline teachers over the built-in sample photos
  (random crops and flips), {len(training["prompts"])} phrasings of {len(seen)} concepts.
  **Held out** (never seen, kept for evaluation): {", ".join(EDITS[k].title for k in preset["held_out"])}.
- **Training**: {training["steps"]:,} steps, batch {preset["batch_size"]}, {preset["resolution"]} px, lr {preset["lr"]},
  seed {preset["seed"]}; {hours:.1f} h on a {info["cores"]}-core CPU ({info["cpu"]}), no GPU.
- **Reproduce**: `e2gan train-base --preset shipped` (resumes from its checkpoints if interrupted).
- **Licence of the data**: the sample photos ship with scikit-image and scikit-learn (public domain / CC0 or
  permissively licensed); the edits are procedural.

## Zero-shot quality (no fine-tuning), against the teacher at {preset["resolution"]} px

Higher is better. "Unchanged photo" is the score of doing nothing: the gap to it is what the base already
knows about a concept.

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
    trained = [k for k in EDITS if k not in held_out]
    resolution = 64 if args.quick else preset["resolution"]
    if args.quick:
        trained, held_out = trained[:1], held_out[:1]
    with torch.no_grad():
        seen, held = judge(generator, trained, resolution), judge(generator, held_out, resolution)
        shown = trained[:3] + held_out
        picture = sample_grid(generator, shown, resolution, photos=2)
    text = card(args.base, training, preset, seen, held, shown, machine())
    if args.quick:
        print(text)
        return
    (args.base / "MODEL_CARD.md").write_text(text)
    picture.save(args.base / "samples.jpg", quality=85)
    print(text)


if __name__ == "__main__":
    main()
