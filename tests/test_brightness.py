"""The shipped base responds to a scene's brightness the way its teachers do (the generator sees its input).

A filter built only of conv → instance norm blocks gives the same output for a photo and a darker copy of
it; a teacher does not ("night" of a dark street is darker than "night" of a sunny one). Zero-shot, on
concepts the base was trained on, darkening the photo must move the base's output in the direction and at
least half as far as it moves the teacher's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance

from e2gan import images, samples
from e2gan.filters import shipped_base, text_function
from e2gan.models.weights import load_generator
from e2gan.teachers.base import make_teacher
from e2gan.teachers.offline import EDITS, offline_spec


def photo() -> Image.Image:
    name, load = next(iter(samples.iter_samples()))  # the astronaut: a photograph
    return images.normalise(images.decode_image(load())[0], 256, "center")


@pytest.mark.parametrize("concept", ["night", "old_photo", "watercolour"])
def test_darkening_the_photo_moves_the_output_like_the_teacher(concept):
    generator = load_generator(shipped_base()).eval()
    text = text_function(generator)([EDITS[concept].prompt])
    teacher = make_teacher(offline_spec(concept))
    bright = photo()
    dark = ImageEnhance.Brightness(bright).enhance(0.55)  # 45% darker

    def student(img: Image.Image) -> np.ndarray:
        x = torch.from_numpy(np.array(img)).permute(2, 0, 1)[None].float() / 127.5 - 1
        with torch.no_grad():
            return ((generator(x, text.tokens, text.mask)[0] + 1) * 127.5).permute(1, 2, 0).numpy()

    def edit(img: Image.Image) -> np.ndarray:
        return np.asarray(teacher.edit([img], EDITS[concept].prompt, [0])[0], np.float32)

    teacher_shift = edit(dark).mean() - edit(bright).mean()
    student_shift = student(dark).mean() - student(bright).mean()
    assert abs(teacher_shift) > 5  # the edit itself depends on brightness
    assert np.sign(student_shift) == np.sign(teacher_shift)
    assert abs(student_shift) >= 0.5 * abs(teacher_shift)
