"""Bases the benchmarks compare with the shipped one: the shipped recipe on fewer concepts.

E2GAN's base-transfer claim is that a base trained on *many* concepts helps a new concept more than one
trained on a single concept. The fair comparison is the same data pipeline, steps and settings as the
shipped base (`assets/presets/base.json`), changing only the concept list. Trained once on first use and
kept under `build/bases/`, in a folder named after the recipe, so a changed recipe or architecture trains a new one; an
interrupted training resumes from its checkpoints.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from benchmarks.report import ROOT
from benchmarks.run_store import fingerprint

FOLDER = ROOT / "build" / "bases"
ONE_CONCEPT = "cartoon"  # a trained-on concept with strokes and flat colours, like the held-out ones


def one_concept_base(concept: str = ONE_CONCEPT, steps: int | None = None, train: bool = True) -> Path | None:
    """The shipped base's recipe trained on `concept` alone (`steps` shortens it for quick checks); with
    `train=False`, only if it was trained already (else None: no stored run on it can count)."""
    from e2gan.base_model import concept_pairs, train_base
    from e2gan.models.generator import GeneratorConfig
    from e2gan.progress import tqdm_progress
    from e2gan.train import TrainSettings

    out, preset, recipe = _folder(concept, steps)
    if (out / "model.safetensors").exists():
        return out
    if not train:
        return None
    scale = preset["pixel_scale"]
    data = concept_pairs([concept], scale, preset["views"], progress=tqdm_progress())
    result = train_base(data, out, TrainSettings(**recipe), GeneratorConfig(pixel_scale=scale), progress=tqdm_progress())
    if result.status != "done":
        raise RuntimeError(f"the one-concept base stopped ({result.status}); run again to resume it")
    return out


def _folder(concept: str, steps: int | None) -> tuple[Path, dict, dict]:
    from e2gan import samples
    from e2gan.base_model import base_preset
    from e2gan.models.generator import GeneratorConfig

    preset = base_preset("shipped")
    recipe = {**preset["train"], **({"steps": steps} if steps else {})}
    photos = samples.sample_names()
    generator = asdict(GeneratorConfig(pixel_scale=preset["pixel_scale"]))  # architecture version and every default
    key = fingerprint({"generator": generator, "concept": concept, "photos": photos, "views": preset["views"], "train": recipe})
    return FOLDER / f"one-concept-{concept}-{key}", preset, recipe
