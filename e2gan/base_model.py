"""Step 4: the base generator, trained once on many concepts so each new filter starts from it.

E2GAN's first technique: one text-conditioned generator learns many edits (here, the built-in offline
teachers over the built-in sample photos, with augmentation, or the pairs of several projects), and a new
concept then needs only LoRA adapters and a few hundred steps. `train_base` is the same training loop as
fine-tuning; it runs data-parallel under `accelerate launch`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from e2gan import atomic, images, pairs, samples
from e2gan.assets import asset
from e2gan.augment import augment_photo
from e2gan.callbacks import JsonlLog, ProgressReporter, SampleWriter
from e2gan.data import PairData
from e2gan.distributed import Distributed
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.progress import ProgressFn, Tracker
from e2gan.project import Project
from e2gan.teachers.offline import EDITS, offline_spec
from e2gan.teachers.base import make_teacher, pair_seed
from e2gan.text.cache import PromptCache
from e2gan.train import TrainResult, Trainer, TrainSettings


BASE_PRESETS = asset("presets", "base.json")


def base_preset(name: str) -> dict:
    """A base-training recipe from assets/presets/base.json (concepts: its list, or every offline edit not held out)."""
    import json

    presets = json.loads(BASE_PRESETS.read_text())
    if name not in presets:
        raise ValueError(f"unknown base preset {name!r}; choose from {', '.join(presets)}")
    preset = dict(presets[name])
    preset.setdefault("concepts", [k for k in EDITS if k not in preset["held_out"]])
    return preset


def trained_concepts(training: dict) -> list[str]:
    """The built-in concepts a base saw, read from its training.json's prompts (bases trained before new
    edits were added keep their own list)."""
    prompts = set(training.get("prompts", []))
    return [k for k in EDITS if EDITS[k].prompt in prompts]


def phrasings(key: str) -> list[str]:
    """A few ways people ask for the same edit, so the base learns the concept rather than one sentence."""
    edit = EDITS[key]
    name = edit.title.lower()
    return [edit.prompt, f"{name} style", f"in the style of {name}", f"turn this photo into {name}"]


def concept_pairs(
    concepts: Sequence[str],
    pixel_scale: int,
    views: int = 1,
    progress: ProgressFn | None = None,
    photos: Sequence[tuple[str, Callable[[], bytes]]] | None = None,
    seed: int = 0,
) -> PairData:
    """Pairs of every offline concept over the sample images, at the pixel scale filters run at.

    View 0 of each image is the whole image (centre square); views 1… are augmented before teaching
    (`e2gan.augment`): random scale, crop, flip and relighting of the photo, which the teacher then edits.
    Prompts vary between phrasings so the base learns the concept rather than one sentence."""
    loaded = [_sample(load) for _, load in (photos if photos is not None else samples.iter_samples())]
    srcs, tgts, prompts, ids = [], [], [], []
    tracker = Tracker("Making base pairs", len(concepts) * len(loaded) * views, progress)
    for i, photo in enumerate(loaded):
        rng = np.random.default_rng([seed, i])
        shots = [images.normalise(photo, pixel_scale, "center")]
        shots += [augment_photo(photo, pixel_scale, rng) for _ in range(views - 1)]
        for key in concepts:
            teacher = make_teacher(offline_spec(key))
            texts = phrasings(key)
            for v, shot in enumerate(shots):
                (edited,) = teacher.edit([shot], texts[0], [pair_seed(seed, f"{key}:{i}:{v}")])
                srcs.append(np.asarray(shot))
                tgts.append(np.asarray(edited))
                prompts.append(texts[(i + v) % len(texts)])
                ids.append(f"{key}:{i}:{v}")
                tracker.advance(message=key)
    data = PairData.from_arrays(srcs, tgts, prompts)
    data.ids = ids
    return data


def _sample(load) -> Image.Image:
    img, _ = images.decode_image(load())
    return img


def project_pairs(projects: Sequence[Project]) -> PairData:
    """Usable pairs of several projects: each project is one concept with its own prompt."""
    parts = [pairs.pair_data(p) for p in projects]
    return PairData(
        [s for d in parts for s in d.sources],
        [t for d in parts for t in d.targets],
        [p for d in parts for p in d.prompts],
        [f"{proj.name}:{i}" for proj, d in zip(projects, parts) for i in d.ids],
    )


def train_base(
    data: PairData,
    out: Path,
    settings: TrainSettings,
    config: GeneratorConfig | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Train a text-conditioned E2GAN generator from scratch on many concepts; saves it to `out`.

    Checkpoints, log and samples go to `out/training/`; re-running the same command resumes.
    """
    import torch

    config = config or GeneratorConfig()
    torch.manual_seed(settings.seed)
    generator = Generator(config)
    text = PromptCache(config.text_encoder, config.text_tokens).get
    text(sorted(set(data.prompts)))  # encode every prompt once, before the loop
    run_dir = Path(out) / "training"
    probe = data.subset(_spread(len(data), settings.probe_count))
    callbacks = [JsonlLog(run_dir / "log.jsonl"), SampleWriter(run_dir / "samples"), ProgressReporter(progress, "Training base")]
    trainer = Trainer(generator, data, text, settings, run_dir, callbacks, cancel=cancel, probe=probe)
    result = trainer.fit()
    if result.status == "done" and Distributed().is_main:
        generator.save_pretrained(out)
        atomic.write_json(
            Path(out) / "training.json",
            {"steps": result.steps, "wall_s": round(result.wall_s, 1), "pairs": len(data), "prompts": sorted(set(data.prompts)),
             "device": trainer.device.type, "threads": torch.get_num_threads(),  # where the time was spent, for the card
             "settings": asdict(settings)},
        )
    return result


def _spread(n: int, k: int) -> list[int]:
    return sorted({int(i) for i in np.linspace(0, n - 1, min(k, n))})


def save_checkpoint_as_model(out: Path, config: GeneratorConfig) -> int:
    """Save the newest checkpoint of an unfinished base training as a loadable model in `out`; returns its step.

    Lets a long base training ship intermediate weights while it keeps going.
    """
    from e2gan import checkpoint

    path = checkpoint.latest(Path(out) / "training" / "checkpoints")
    if path is None:
        raise FileNotFoundError(f"no checkpoint under {out}/training yet")
    generator = Generator(config)
    info = checkpoint.load(path, {"generator": generator}, {})
    generator.save_pretrained(out)
    return int(info["step"])
