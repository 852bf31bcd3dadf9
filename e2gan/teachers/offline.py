"""Built-in offline teachers: named edits from `offline_edits`, matched to a prompt by keyword or meaning."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from e2gan.teachers import offline_edits as E
from e2gan.teachers.base import Teacher, TeacherSpec

EditFn = Callable[[np.ndarray, np.random.Generator, float], np.ndarray]


@dataclass(frozen=True)
class OfflineEdit:
    key: str
    title: str
    prompt: str  # the instruction it implements, as a user would type it
    keywords: tuple[str, ...]  # words that name this edit
    fn: EditFn
    hints: tuple[str, ...] = ()  # generic words ("painting", "dark") that pick it only when no keyword names an edit


EDITS: dict[str, OfflineEdit] = {
    e.key: e
    for e in (
        OfflineEdit("pencil_sketch", "Pencil sketch", "make it a pencil sketch", ("pencil", "sketch", "graphite"), E.pencil_sketch, ("drawing",)),
        OfflineEdit("watercolour", "Watercolour", "make it a watercolour painting", ("watercolour", "watercolor", "aquarelle"), E.watercolour),
        OfflineEdit("cartoon", "Cartoon", "turn it into a cartoon", ("cartoon", "comic", "animated", "anime"), E.cartoon),
        OfflineEdit("oil_paint", "Oil painting", "make it an oil painting", ("oil", "impasto"), E.oil_paint, ("painting", "brush")),
        OfflineEdit("old_photo", "Old photo", "make it look like an old photograph", ("vintage", "sepia", "antique"), E.old_photo, ("old", "retro")),
        OfflineEdit("night", "Night", "make it night time", ("night", "nighttime", "moonlight"), E.night, ("dark", "evening")),
        OfflineEdit("winter", "Winter", "make it winter with snow", ("winter", "snow", "snowy", "frozen", "frost"), E.winter),
        OfflineEdit("pop_art", "Pop art", "make it pop art", ("pop", "warhol", "halftone"), E.pop_art),
        OfflineEdit("neon", "Neon edges", "make it glowing neon lines", ("neon", "cyberpunk", "tron"), E.neon, ("glow", "glowing")),
        OfflineEdit("ink", "Ink wash", "make it a chinese ink wash painting", ("ink", "sumi", "calligraphy"), E.ink),
        OfflineEdit("thermal", "Thermal camera", "make it look like a thermal camera image", ("thermal", "infrared", "heat", "predator"), E.thermal),
        OfflineEdit("low_poly", "Low poly", "make it low poly art", ("low poly", "lowpoly", "polygon", "triangles", "geometric"), E.low_poly),
        OfflineEdit("pixel_art", "Pixel art", "make it 8-bit pixel art", ("pixel", "8-bit", "8bit", "retro game"), E.pixel_art),
        OfflineEdit("bronze_relief", "Bronze relief", "turn it into an embossed bronze relief", ("bronze", "emboss", "relief"), E.bronze_relief, ("metal", "sculpture")),
        OfflineEdit("stained_glass", "Stained glass", "make it a stained glass window", ("stained", "mosaic", "cathedral"), E.stained_glass, ("glass",)),
        OfflineEdit("zombie", "Zombie", "turn him into a zombie", ("zombie", "undead", "ghoul", "walking dead"), E.zombie),
        OfflineEdit("golden_hour", "Golden hour", "make it golden hour sunlight", ("golden hour", "sunset", "sunrise", "golden light"), E.golden_hour),
        OfflineEdit("blueprint", "Blueprint", "make it a blueprint", ("blueprint", "schematic", "technical drawing", "cyanotype"), E.blueprint),
        OfflineEdit("charcoal", "Charcoal", "make it a charcoal drawing", ("charcoal", "smudge", "conte"), E.charcoal),
        OfflineEdit("risograph", "Risograph", "make it a two-colour risograph print", ("risograph", "riso", "duotone", "screen print", "screenprint"), E.risograph),
        OfflineEdit("glitch", "Glitch", "make it a glitchy broken video", ("glitch", "glitchy", "vhs", "datamosh", "scanlines"), E.glitch),
        OfflineEdit("underwater", "Underwater", "make it look underwater", ("underwater", "under water", "under the sea", "ocean floor", "aquarium"), E.underwater),
    )
}  # fmt: skip


class OfflineTeacher(Teacher):
    licence = "built-in edit, no model weights (Apache-2.0, like the studio)"

    def __init__(self, spec: TeacherSpec):
        if spec.name not in EDITS:
            raise ValueError(f"unknown offline teacher {spec.name!r}; available: {', '.join(EDITS)}")
        self.spec = spec
        self.edit_fn = EDITS[spec.name]
        self.strength = float(spec.settings.get("strength", 1.0))
        if not 0.1 <= self.strength <= 2.0:
            raise ValueError("strength must be between 0.1 and 2")
        self.batch_size = 8

    def edit(self, images: list[Image.Image], prompt: str, seeds: list[int]) -> list[Image.Image]:
        out = []
        for img, seed in zip(images, seeds):
            arr = np.asarray(img.convert("RGB"))
            edited = self.edit_fn.fn(arr, np.random.default_rng(seed), self.strength)
            out.append(Image.fromarray(edited))
        return out


def offline_spec(key: str, strength: float = 1.0) -> TeacherSpec:
    return TeacherSpec("offline", key, {"strength": strength})


def match_prompt(prompt: str, use_embeddings: bool = True) -> tuple[str, float, str]:
    """The offline edit that best fits `prompt`: (key, score 0–1, how it matched)."""
    text = prompt.lower()
    for words in ("keywords", "hints"):  # a word that names an edit beats a generic one ("ink wash painting")
        for edit in EDITS.values():
            for word in getattr(edit, words):
                if re.search(rf"\b{re.escape(word)}\b", text):
                    return edit.key, 1.0, f"keyword “{word}”"
    if not use_embeddings or not text.strip():
        return "watercolour", 0.0, "default"
    from e2gan.text import load_text_encoder

    encoder = load_text_encoder("minilm")
    keys = list(EDITS)
    vectors = encoder.pooled([prompt] + [EDITS[k].prompt for k in keys])
    sims = (vectors[1:] @ vectors[0]).tolist()
    best = int(np.argmax(sims))
    return keys[best], float(sims[best]), "meaning"
