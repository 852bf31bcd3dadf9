"""Pair generation: complete, resumable after a kill, robust to bad sources, shardable across processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from e2gan import pairs, sources
from e2gan.cli import main as cli
from e2gan.distill import choose_teacher, distill
from e2gan.teachers import TeacherSpec, make_teacher
from e2gan.teachers.offline import offline_spec
from tests.tiny import TINY_DIFFUSION_SETTINGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fingerprint(project) -> list[tuple]:
    """What a finished run produced: per pair its seed, teacher key and target pixels' hash."""
    rows = []
    for p in sorted(pairs.read_pairs(project).values(), key=lambda p: p.id):
        digest = hashlib.sha1((project.root / p.target).read_bytes()).hexdigest() if p.target else ""
        rows.append((p.id, p.status, p.seed, p.teacher_key, digest))
    return rows


def test_distill_makes_one_pair_per_source(sample_project):
    report = distill(sample_project, offline_spec("cartoon"))
    n = len(sources.list_sources(sample_project))
    assert report.made == n and not report.failed
    made = pairs.read_pairs(sample_project)
    assert len(made) == n
    pair = next(iter(made.values()))
    assert pair.teacher["kind"] == "offline" and pair.teacher["name"] == "cartoon" and pair.teacher["licence"]
    assert pair.prompt == "make it a watercolour painting" and pair.time
    assert sample_project.step("teach").state == "done"
    again = distill(sample_project, offline_spec("cartoon"))
    assert again.made == 0 and again.skipped == n


class KilledAfter:
    """Wraps a teacher and dies (like SIGKILL: no clean-up) after `n` images."""

    def __init__(self, teacher, n):
        self.inner, self.left = teacher, n
        self.spec, self.batch_size = teacher.spec, 1

    def describe(self):
        return self.inner.describe()

    def edit(self, images, prompt, seeds):
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        return self.inner.edit(images, prompt, seeds)


def test_resume_after_kill_matches_uninterrupted(store):
    spec = offline_spec("old_photo")  # uses its seed: grain and scratches
    runs = []
    for name, kill_at in (("whole", None), ("killed", 5)):
        project = store.create(name, "make it an old photo")
        sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
        if kill_at is not None:
            with pytest.raises(KeyboardInterrupt):
                distill(project, spec, seed=3, teacher=KilledAfter(make_teacher(spec), kill_at))
            assert len(pairs.read_pairs(project)) == kill_at
            assert distill(project, spec, seed=3).made == len(sources.list_sources(project)) - kill_at
        else:
            distill(project, spec, seed=3)
        runs.append(fingerprint(project))
        assert not [p for p in project.pairs_dir.iterdir() if p.name.startswith(".tmp-")]
    assert runs[0] == runs[1]


def test_changing_the_look_regenerates(sample_project):
    distill(sample_project, offline_spec("ink", 1.0))
    before = fingerprint(sample_project)
    report = distill(sample_project, offline_spec("ink", 0.6))
    assert report.made == len(before)
    assert all(a[3] != b[3] and a[4] != b[4] for a, b in zip(before, fingerprint(sample_project)))


def test_corrupt_source_is_skipped_with_its_reason(sample_project):
    broken = sources.list_sources(sample_project)[2]
    (sample_project.sources_dir / broken["file"]).write_bytes(b"\x89PNG\r\n\x1a\n broken")
    report = distill(sample_project, offline_spec("neon"))
    assert report.failed == [(broken["name"], report.failed[0][1])]
    assert "source unreadable" in report.failed[0][1]
    state = pairs.read_pairs(sample_project)[broken["id"]]
    assert state.status == "failed" and not state.usable
    assert len(pairs.usable_pairs(sample_project)) == len(sources.list_sources(sample_project)) - 1


def test_reject_and_restore(sample_project):
    distill(sample_project, offline_spec("winter"))
    first = next(iter(pairs.read_pairs(sample_project)))
    assert pairs.set_rejected(sample_project, [first, "nope"]) == 1
    assert first not in {p.id for p in pairs.usable_pairs(sample_project)}
    assert pairs.read_pairs(sample_project)[first].rejected  # kept in the manifest
    pairs.compact(sample_project)
    assert pairs.read_pairs(sample_project)[first].rejected  # survives compaction
    pairs.set_rejected(sample_project, [first], False)
    assert first in {p.id for p in pairs.usable_pairs(sample_project)}
    assert len(pairs.pair_data(sample_project)) == len(pairs.usable_pairs(sample_project))


@pytest.mark.parametrize("kind", ["instruct-pix2pix", "img2img"])
def test_distill_with_a_diffusion_pipeline_from_a_folder_via_the_cli(kind, store, request):
    folder = request.getfixturevalue("tiny_ip2p" if kind == "instruct-pix2pix" else "tiny_img2img")
    project = store.create(kind, "make it a watercolour")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    settings = [a for k, v in TINY_DIFFUSION_SETTINGS[kind].items() for a in ("--set", f"{k}={v}")]
    code = cli(["--projects", str(store.root), "distill", kind, "--teacher", kind, "--model", str(folder), "--limit", "3", *settings])
    assert code == 0
    made = list(pairs.read_pairs(project).values())
    assert len(made) == 3 and all(p.status == "ok" for p in made)
    assert made[0].teacher["kind"] == kind and made[0].teacher["name"] == str(folder)
    assert made[0].teacher["settings"]["steps"] == TINY_DIFFUSION_SETTINGS[kind]["steps"]
    spec, seed = choose_teacher(project)  # the look is remembered for the next run
    assert spec.kind == kind and spec.name == str(folder)


def test_two_process_accelerate_run_shards_the_work(sample_project, store):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", "e2gan.cli", "--projects", str(store.root), "distill", "samples", "--teacher", "pixel_art",
    ]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    made = pairs.read_pairs(sample_project)
    lines = (sample_project.pairs_dir / pairs.MANIFEST).read_text().splitlines()
    n = len(sources.list_sources(sample_project))
    assert len(made) == len(lines) == n  # every source once, no pair done twice
    assert {p.worker for p in made.values()} == {0, 1}
    assert sample_project.step("teach").state == "done"


def test_empty_project_is_a_clear_error(store):
    project = store.create("empty", "make it snowy")
    with pytest.raises(ValueError, match="no source images"):
        distill(project, TeacherSpec("offline", "winter"))
