"""Photo | teacher | filter on held-out photos, through the runtime, with a verdict in plain words."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from e2gan import finetune
from e2gan.compare import BANDS, Comparison, compare_runs
from e2gan.project import ProjectStore
from e2gan.runs import get_run, rename_run
from e2gan.runtime import load_run_filter
from e2gan.train import TrainSettings


@pytest.fixture
def toon(trained_project, tmp_path):
    shutil.copytree(trained_project.root, tmp_path / "projects" / "toon")
    return ProjectStore(tmp_path / "projects").open("toon")


def test_a_run_is_shown_next_to_its_teacher_on_photos_it_did_not_train_on(toon):
    run = get_run(toon, finished=True)
    rename_run(toon, run.id, "first")
    c = compare_runs(toon, [run.id], limit=4)
    assert len(c.photos) == len(c.teacher) == 4 and list(c.filtered) == ["first"]
    assert c.held_out is False  # this run trained on every pair (no curation), and the comparison says so
    pack = load_run_filter(toon, run.id)
    assert np.array_equal(c.filtered["first"][0], pack(c.photos[0]))  # the runtime's own path, as on the webcam
    (row,) = c.rows()[:1]
    assert row.shape[1] == 3 * c.photos[0].shape[1]
    assert c.verdict("first") and np.isfinite(c.metrics["first"]["psnr"])


def test_two_runs_of_a_project_side_by_side(toon):
    first = get_run(toon, finished=True)
    second = finetune.finetune(toon, "lora", TrainSettings(steps=3, crop=32, checkpoint_every=100, sample_every=100), base=first.settings["base"])
    rename_run(toon, first.id, "long")
    rename_run(toon, second.id, "short")
    c = compare_runs(toon, [first.id, second.id], limit=3)
    assert list(c.filtered) == ["long", "short"]
    assert c.rows()[0].shape[1] == 4 * c.photos[0].shape[1]  # photo | teacher | long | short


@pytest.mark.parametrize("value, words", [(25.0, "Very close"), (22.0, "Close to the teacher"), (19.0, "Recognisable but soft"), (15.0, "partly"), (9.0, "Far from")])
def test_the_verdict_follows_the_measured_bands(value, words):
    c = Comparison([], [], {"f": []}, {"f": {"psnr": value, "ssim": 0.5, "gmsd": 0.2}}, held_out=True)
    assert words in c.verdict("f")
    assert "own training photos" in Comparison([], [], {"f": []}, c.metrics, held_out=False).verdict("f")
    assert [low for low, _ in BANDS] == sorted((low for low, _ in BANDS), reverse=True)


def test_a_curated_run_is_compared_on_the_pairs_curation_left_out(toon):
    from e2gan import pairs
    from e2gan.curate import CurateSettings, curate

    curate(toon, CurateSettings(k=4))
    run = finetune.finetune(toon, "lora", TrainSettings(steps=2, crop=32, checkpoint_every=100, sample_every=100), base=get_run(toon).settings["base"])
    c = compare_runs(toon, [run.id], limit=50)
    assert c.held_out is True and len(c.photos) == len(pairs.usable_pairs(toon)) - 4


def test_two_curated_runs_are_compared_on_pairs_neither_trained_on(toon):
    from e2gan import pairs
    from e2gan.curate import CurateSettings, curate

    base = get_run(toon).settings["base"]
    fast = TrainSettings(steps=2, crop=32, checkpoint_every=100, sample_every=100)
    curate(toon, CurateSettings(k=3))
    small = finetune.finetune(toon, "lora", fast, base=base)
    curate(toon, CurateSettings(k=6))
    large = finetune.finetune(toon, "lora", fast, base=base)
    trained = set(small.settings["pair_ids"]) | set(large.settings["pair_ids"])
    assert trained - set(small.settings["pair_ids"])  # the first run's held-out pairs include the second's training pairs
    c = compare_runs(toon, [small.id, large.id], limit=50)
    assert c.held_out is True and len(c.photos) == len(pairs.usable_pairs(toon)) - len(trained)
