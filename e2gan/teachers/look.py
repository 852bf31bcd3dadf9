"""The look picker: try a teacher's main setting against a few seeds on probe images, pick a cell.

Diffusion edits vary a lot with guidance and seed; artists want to choose the look once, then have every
pair made with it. `look_grid` renders one cell per (setting value, seed), each showing the probe images
side by side; the chosen cell's `TeacherSpec` and seed become the project's teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from e2gan.progress import ProgressFn, Tracker
from e2gan.teachers.base import Teacher, TeacherSpec, make_teacher, pair_seed

# The setting each kind of teacher varies down the grid, and its default values.
MAIN_SETTING = {
    "offline": ("strength", [0.6, 1.0, 1.4]),
    "instruct-pix2pix": ("image_guidance_scale", [1.2, 1.5, 2.0]),
    "img2img": ("strength", [0.4, 0.55, 0.7]),
}


@dataclass
class LookCell:
    spec: TeacherSpec
    seed: int
    label: str
    image: Image.Image  # the probes edited with this cell's settings, side by side


def look_grid(
    spec: TeacherSpec,
    probes: list[Image.Image],
    prompt: str,
    values: list[float] | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    tile: int = 160,
    progress: ProgressFn | None = None,
    teacher_factory=make_teacher,
) -> list[LookCell]:
    """One cell per (value of the main setting, seed), in row-major order."""
    if not probes:
        raise ValueError("the look picker needs at least one probe image")
    name, defaults = MAIN_SETTING[spec.kind]
    values = values or defaults
    cells = []
    tracker = Tracker("Rendering looks", len(values) * len(seeds), progress)
    for value in values:
        cell_spec = TeacherSpec(spec.kind, spec.name, {**spec.settings, name: value})
        teacher: Teacher = teacher_factory(cell_spec)
        for seed in seeds:
            edited = teacher.edit(probes, prompt, [pair_seed(seed, f"probe{i}") for i in range(len(probes))])
            label = f"{name} {value:g} · seed {seed}"
            cells.append(LookCell(cell_spec, seed, label, _strip(edited, tile)))
            tracker.advance(message=label)
    return cells


def _strip(images: list[Image.Image], tile: int) -> Image.Image:
    tiles = [np.asarray(img.convert("RGB").resize((tile, tile), Image.Resampling.LANCZOS)) for img in images]
    return Image.fromarray(np.concatenate(tiles, axis=1))


def compose(cells: list[LookCell], columns: int) -> Image.Image:
    """All cells in one labelled picture (for the CLI)."""
    w, h = cells[0].image.size
    rows = (len(cells) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * w, rows * (h + 18)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, cell in enumerate(cells):
        x, y = (i % columns) * w, (i // columns) * (h + 18)
        sheet.paste(cell.image, (x, y + 18))
        draw.text((x + 4, y + 3), f"{i + 1}: {cell.label}", fill="black")
    return sheet
