"""Teachers: offline edits are real, deterministic and size-preserving; diffusion teachers load from a folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from e2gan import images
from e2gan.teachers import TeacherSpec, make_teacher
from e2gan.teachers.diffusion import TeacherUnavailable
from e2gan.teachers.look import compose, look_grid
from e2gan.teachers.offline import EDITS, match_prompt
from tests.tiny import TINY_DIFFUSION_SETTINGS


@pytest.fixture(scope="module")
def photos():
    from e2gan.samples import iter_samples
    import io

    loaded = {name: Image.open(io.BytesIO(load())).convert("RGB") for name, load in iter_samples()}
    square = images.normalise(loaded["cheetah1.png"], 96)
    wide = images.normalise(loaded["astronaut.png"], 64, crop="none").crop((0, 0, 80, 64))
    return square, wide


def test_at_least_twelve_offline_teachers():
    assert len(EDITS) >= 12
    assert len({e.fn for e in EDITS.values()}) == len(EDITS)


@pytest.mark.parametrize("key", list(EDITS))
def test_offline_teacher_is_real_deterministic_and_keeps_size(key, photos):
    teacher = make_teacher(TeacherSpec("offline", key, {"strength": 1.0}))
    for photo in photos:
        a = teacher.edit([photo], "", [7])[0]
        b = teacher.edit([photo], "", [7])[0]
        assert a.size == photo.size and a.mode == "RGB"
        assert np.array_equal(np.asarray(a), np.asarray(b))
        diff = np.abs(np.asarray(a, np.int16) - np.asarray(photo, np.int16))
        assert diff.mean() > 10, f"{key} barely changes the image ({diff.mean():.1f})"
        # not a colour tint: the edit must change local structure, not only a global colour map
        grey = lambda im: np.asarray(im.convert("L"), np.float32)  # noqa: E731
        corr = np.corrcoef(grey(a).ravel(), grey(photo).ravel())[0, 1]
        assert corr < 0.98 or diff.mean() > 25, f"{key} looks like a tint (corr {corr:.3f})"


def test_prompt_matching_by_keyword_and_meaning():
    assert match_prompt("make it a watercolor")[0] == "watercolour"
    assert match_prompt("Snowy winter scene")[0] == "winter"
    key, score, how = match_prompt("draw it with a graphite crayon like an artist's study")
    assert how in ("meaning", "keyword “graphite”") and key == "pencil_sketch"


def test_every_offline_teachers_own_prompt_picks_it_by_keyword():
    """A generic word in another edit's list ("painting" for oil) must not steal a prompt that names its edit."""
    for key, edit in EDITS.items():
        assert match_prompt(edit.prompt, use_embeddings=False)[0] == key, edit.prompt
    assert match_prompt("a charcoal drawing", use_embeddings=False)[0] == "charcoal"
    assert match_prompt("make it a painting", use_embeddings=False)[0] == "oil_paint"


def test_unknown_offline_teacher_lists_the_choices():
    with pytest.raises(ValueError, match="available: pencil_sketch"):
        make_teacher(TeacherSpec("offline", "van_gogh"))


@pytest.mark.parametrize("kind", ["instruct-pix2pix", "img2img"])
def test_diffusion_teacher_loads_a_local_folder(kind, request, photos):
    folder = request.getfixturevalue("tiny_ip2p" if kind == "instruct-pix2pix" else "tiny_img2img")
    teacher = make_teacher(TeacherSpec(kind, str(folder), TINY_DIFFUSION_SETTINGS[kind]), device="cpu")
    square, wide = photos
    out = teacher.edit([square, wide, square], "make it blue", [1, 2, 3])
    assert [o.size for o in out] == [square.size, wide.size, square.size]
    again = teacher.edit([square], "make it blue", [3])[0]  # same seed alone, outside its batch
    assert np.abs(np.asarray(again, np.int16) - np.asarray(out[2], np.int16)).max() <= 2
    other = teacher.edit([square], "make it blue", [4])[0]
    assert not np.array_equal(np.asarray(other), np.asarray(out[2]))
    assert teacher.describe()["name"] == str(folder)


def test_wrong_model_says_so(tiny_img2img):
    with pytest.raises(TeacherUnavailable, match="not an InstructPix2Pix model"):
        make_teacher(TeacherSpec("instruct-pix2pix", str(tiny_img2img), TINY_DIFFUSION_SETTINGS["instruct-pix2pix"]))


def test_missing_model_says_what_to_download(tmp_path):
    with pytest.raises(TeacherUnavailable, match="huggingface-cli download"):
        make_teacher(TeacherSpec("instruct-pix2pix", "timbrooks/instruct-pix2pix"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(TeacherUnavailable, match="no model_index.json"):
        make_teacher(TeacherSpec("instruct-pix2pix", str(tmp_path / "empty")))


def test_look_grid_offers_settings_times_seeds(photos):
    cells = look_grid(TeacherSpec("offline", "cartoon", {"strength": 1.0}), list(photos), "", tile=48)
    assert len(cells) == 9
    assert {c.spec.settings["strength"] for c in cells} == {0.6, 1.0, 1.4}
    assert cells[0].image.size == (96, 48)
    assert compose(cells, 3).size == (3 * 96, 3 * (48 + 18))


def test_look_grid_with_a_diffusion_teacher(tiny_ip2p, photos):
    spec = TeacherSpec("instruct-pix2pix", str(tiny_ip2p), TINY_DIFFUSION_SETTINGS["instruct-pix2pix"])
    cells = look_grid(spec, [photos[0]], "make it blue", values=[1.2, 2.0], seeds=(0, 1), tile=32)
    assert [c.label for c in cells] == [
        "image_guidance_scale 1.2 · seed 0", "image_guidance_scale 1.2 · seed 1",
        "image_guidance_scale 2 · seed 0", "image_guidance_scale 2 · seed 1",
    ]  # fmt: skip


@pytest.mark.parametrize("key", ["low_poly", "stained_glass"])
def test_mesh_and_panes_come_from_the_photo_not_the_seed(key, photos):
    """Their layout is the photo's corners (where it sits in the frame: tests/test_benchmarks.py), so two
    seeds give the same edit and a filter has no random part to miss."""
    square = np.asarray(photos[0])
    edits = [EDITS[key].fn(square, np.random.default_rng(seed)) for seed in (0, 1)]
    assert np.array_equal(*edits)
