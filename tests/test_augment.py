"""Augment before teaching: every pair of the base's data is the teacher's edit of exactly its photo."""

from __future__ import annotations

import numpy as np
from PIL import Image

from e2gan import samples
from e2gan.base_model import concept_pairs
from e2gan.teachers.base import make_teacher, pair_seed
from e2gan.teachers.offline import EDITS, offline_spec


def test_each_pair_is_the_teacher_applied_to_its_augmented_photo():
    photos = list(samples.iter_samples())[:2]
    data = concept_pairs(["pixel_art", "old_photo"], 64, views=3, photos=photos, seed=0)
    assert len(data) == 2 * 2 * 3
    views_of_first = [data.sources[i] for i, pid in enumerate(data.ids) if pid.startswith("pixel_art:0:")]
    assert len({v.numpy().tobytes() for v in views_of_first}) == 3  # whole photo + 2 different views
    for i, pid in enumerate(data.ids):
        key, photo, view = pid.split(":")
        src = Image.fromarray(data.sources[i].permute(1, 2, 0).numpy())
        (expected,) = make_teacher(offline_spec(key)).edit([src], EDITS[key].prompt, [pair_seed(0, pid)])
        assert np.array_equal(np.asarray(expected), data.targets[i].permute(1, 2, 0).numpy())  # aligned, on-grid
