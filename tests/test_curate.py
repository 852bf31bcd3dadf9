"""Curation: exact K cluster representatives, determinism, manual choices, flags, embedding cache, CLIP path."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from e2gan import pairs
from e2gan.cli import main as cli
from e2gan.curate import CurateSettings, curate, read_selection, set_manual
from e2gan.curate.embedders import load_embedder
from e2gan.curate.features import pair_features
from e2gan.curate.select import select
from e2gan.distill import distill
from e2gan.project import now_iso
from e2gan.teachers.offline import offline_spec
from tests.tiny import tiny_open_clip


@pytest.fixture
def taught(store):
    """Watercolour pairs of the sample photos at 128 px (at 64 px a watercolour of the city or the ruins
    really does wash out their structure, and the flags rightly say so)."""
    from e2gan import sources

    project = store.create("samples", "make it a watercolour painting")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=128))
    distill(project, offline_spec("watercolour"))
    return project


def test_selection_is_k_distinct_pairs_nearest_their_centres(taught):
    result = curate(taught, CurateSettings(k=6))
    chosen = result.selection.ids
    assert len(chosen) == len(set(chosen)) == 6
    clusters, dist = result.selection.clusters, result.selection.centre_distance
    assert sorted(clusters[i] for i in chosen) == list(range(6))  # one per cluster
    for pid in chosen:
        members = [i for i, c in clusters.items() if c == clusters[pid]]
        assert dist[pid] == min(dist[m] for m in members)
    assert read_selection(taught)["ids"] == chosen
    assert (taught.curate_dir / "map.png").is_file()
    assert taught.step("curate").state == "done"


def test_same_seed_same_selection(taught):
    a = curate(taught, CurateSettings(k=5, seed=3)).selection.ids
    b = curate(taught, CurateSettings(k=5, seed=3)).selection.ids
    assert a == b


def test_random_baseline_has_k_distinct_pairs(taught):
    ids = curate(taught, CurateSettings(k=7, method="random", seed=1)).selection.ids
    assert len(set(ids)) == 7


def test_manual_choices_survive_reclustering(taught):
    first = curate(taught, CurateSettings(k=5)).selection.ids
    keep, drop = [p for p in pairs.read_pairs(taught) if p not in first][0], first[0]
    set_manual(taught, [drop], "exclude")
    set_manual(taught, [keep], "include")
    for k in (4, 6, 9):
        ids = curate(taught, CurateSettings(k=k, seed=k)).selection.ids
        assert drop not in ids and keep in ids and len(ids) == k
    set_manual(taught, [drop, keep], "clear")
    assert curate(taught, CurateSettings(k=5)).selection.ids == first


def test_no_op_edit_is_flagged_and_left_out(taught):
    victim = next(iter(pairs.read_pairs(taught).values()))
    shutil.copy(taught.root / victim.source, taught.root / victim.target)  # the "edit" changed nothing
    victim.teacher_key, victim.time = "noop", now_iso()
    pairs.record(taught, victim)
    result = curate(taught, CurateSettings(k=30))
    assert "no visible change" in result.analysis[victim.id]["flags"]
    assert victim.id not in result.selection.ids
    assert [p for p in result.points if p["id"] == victim.id][0]["excluded"]


def replace_target(project, pair, image) -> None:
    image.save(project.root / pair.target)
    pair.teacher_key, pair.time = "hand-made", now_iso()
    pairs.record(project, pair)


def test_edit_that_destroys_the_content_is_flagged(taught):
    from PIL import Image

    victim = list(pairs.read_pairs(taught).values())[3]
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    replace_target(taught, victim, Image.fromarray(noise))  # static: nothing of the photo is left
    result = curate(taught, CurateSettings(k=30))
    assert "content destroyed" in result.analysis[victim.id]["flags"], (result.analysis[victim.id], sorted(a["similarity"] for a in result.analysis.values()))
    assert victim.id not in result.selection.ids
    others = [a for pid, a in result.analysis.items() if pid != victim.id]
    assert not any("content destroyed" in a["flags"] for a in others)  # real watercolour edits are not


def test_edit_unlike_all_the_others_is_flagged_as_an_outlier(taught):
    from PIL import Image, ImageOps

    victim = list(pairs.read_pairs(taught).values())[5]
    with Image.open(taught.root / victim.source) as photo:
        replace_target(taught, victim, ImageOps.invert(photo.convert("RGB")))  # a negative, not a watercolour
    result = curate(taught, CurateSettings(k=30))
    assert "outlier edit" in result.analysis[victim.id]["flags"], result.analysis[victim.id]
    assert result.analysis[victim.id]["outlier_z"] > max(a["outlier_z"] for pid, a in result.analysis.items() if pid != victim.id)


def test_embeddings_are_only_computed_for_new_or_changed_pairs(taught):
    n = len(pairs.usable_pairs(taught))
    assert curate(taught, CurateSettings(k=4)).embedded == 2 * n
    assert curate(taught, CurateSettings(k=6)).embedded == 0
    one = next(iter(pairs.read_pairs(taught).values()))
    one.teacher_key = "regenerated"
    pairs.record(taught, one)
    assert curate(taught, CurateSettings(k=6)).embedded == 1  # only that pair's output


def test_open_clip_embedder_from_a_local_file(taught, tmp_path):
    name, weights = tiny_open_clip(tmp_path)
    embedder = f"clip:{name}/{weights}"
    model = load_embedder(embedder)
    feats = pair_features(taught, pairs.usable_pairs(taught)[:3], embedder)
    assert feats.input.shape == (3, model.dim)
    assert np.allclose(np.linalg.norm(feats.output, axis=1), 1, atol=1e-4)
    assert len(curate(taught, CurateSettings(k=3, embedder=embedder)).selection.ids) == 3


def test_k_larger_than_the_data_takes_everything_and_zero_is_refused(taught):
    n = len(pairs.usable_pairs(taught))
    assert len(curate(taught, CurateSettings(k=10 * n)).selection.ids) == n
    with pytest.raises(ValueError, match="at least 1"):
        select(["a"], np.zeros((1, 2)), 0)


def test_curate_cli_writes_selection_and_map(taught, store, capsys):
    assert cli(["--projects", str(store.root), "curate", taught.name, "--k", "4"]) == 0
    assert "Selected 4 of" in capsys.readouterr().out
    assert len(read_selection(taught)["ids"]) == 4 and (taught.curate_dir / "map.png").stat().st_size > 1000


def test_curating_nothing_is_a_clear_error(sample_project):
    with pytest.raises(ValueError, match="generate pairs first"):
        curate(sample_project)
