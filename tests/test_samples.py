"""The built-in photos: a user's first filter trains on real photographs, people among them, never on the judging set."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from e2gan import samples


def _thumbs(items) -> dict[str, np.ndarray]:
    """A 16x16 grey thumbnail of each image: equal thumbnails mean the same photo (or a crop-free copy)."""
    out = {}
    for name, load in items:
        img = Image.open(io.BytesIO(load()))
        img.load()
        assert min(img.size) >= 256, f"{name} is too small to give a 256 px pair"
        out[name] = np.asarray(img.convert("L").resize((16, 16), Image.Resampling.BOX), np.float32)
    return out


def test_the_sample_set_is_twelve_photographs_with_people():
    assert len(samples.SAMPLES) >= 12
    assert {s.subject for s in samples.SAMPLES} <= {"person", "animal", "object", "place"}  # no textures, no science
    assert sum(s.subject == "person" for s in samples.SAMPLES) >= 3
    assert all(s.licence for s in samples.SAMPLES + samples.JUDGING)


def test_every_photo_loads_and_none_is_shared_with_the_judging_set():
    train, judging = _thumbs(samples.iter_samples()), _thumbs(samples.iter_judging())
    assert len(train) == len(samples.SAMPLES) and len(judging) == len(samples.JUDGING) >= 8
    everything = list(train.items()) + list(judging.items())
    for i, (a, ta) in enumerate(everything):
        for b, tb in everything[i + 1 :]:
            assert np.abs(ta - tb).mean() > 4, f"{a} and {b} look like the same photo"
