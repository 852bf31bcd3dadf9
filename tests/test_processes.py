"""Two processes on one project: the studio and a command line (or two command lines) never train the same run
at once, and exports started together never share a build folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from e2gan import finetune
from e2gan.export.build import list_exports
from e2gan.project import Busy, ProjectStore
from e2gan.runs import get_run
from e2gan.train import TrainSettings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOLD = """
import sys, time
from e2gan.project import Project
from pathlib import Path
with Project(Path(sys.argv[1])).exclusive(sys.argv[2], "test"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def toon(trained_project, tmp_path):
    """This test's own copy of the trained project (the session's copy must stay as it is)."""
    shutil.copytree(trained_project.root, tmp_path / "projects" / "toon")
    return ProjectStore(tmp_path / "projects").open("toon")


@pytest.fixture
def other_process_training(toon):
    """Another process that holds the run's training lock, as `e2gan finetune --resume` does while it trains."""
    run = get_run(toon)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(toon.root), f"train-{run.id}"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield run
    proc.kill()
    proc.wait()


def test_a_run_being_trained_by_another_process_is_refused_not_trained_twice(toon, other_process_training):
    run = other_process_training
    run.set_status("interrupted", 10, "killed")  # looks resumable: only the lock knows it is in use
    lines_before = run.log_path.read_text() if run.log_path.exists() else ""
    with pytest.raises(Busy, match=f"Training run {run.id} is already running in another process"):
        finetune.resume(toon, run.id)
    assert (run.log_path.read_text() if run.log_path.exists() else "") == lines_before  # not one step logged


def test_the_lock_is_released_when_the_process_ends(toon):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(toon.root), "train-x"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    proc.kill()  # a killed holder: the OS drops its lock
    proc.wait()
    with toon.exclusive("train-x", "test"):
        pass


def test_two_exports_started_together_get_their_own_folders(toon):
    before = set(list_exports(toon)) if toon.exports_dir.is_dir() else set()  # the copied project may hold older exports
    env = dict(os.environ, E2GAN_PROJECTS=str(toon.root.parent), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "e2gan.cli", "export", "toon", "--format", "onnx", "--threads", "1"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folders = set(list_exports(toon)) - before
    assert len(folders) == 2
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == ["MODEL_CARD.md", "model.onnx", "report.json"]
    assert not [p for p in toon.exports_dir.iterdir() if p.name.startswith(".")]  # nothing half-built left over


def test_finetune_new_runs_do_not_wait_on_each_other(toon):
    """Different runs of one project may train at once (two presets side by side); only one run is exclusive."""
    settings = TrainSettings(steps=2, crop=32, checkpoint_every=100, sample_every=100)
    with toon.exclusive("train-someone-else", "test"):
        run = finetune.finetune(toon, "scratch", settings)
    assert run.status["state"] == "done"


def test_two_builds_finishing_in_the_same_second_get_distinct_names(toon):
    """The naming step itself, raced by threads on one final name: one gets it, the others -2, -3…"""
    import threading

    from e2gan.export.build import _publish

    toon.exports_dir.mkdir(parents=True, exist_ok=True)
    builds = []
    for i in range(3):
        folder = toon.exports_dir / f".tmp-build-{i}"
        folder.mkdir()
        (folder / "report.json").write_text("{}")
        builds.append(folder)
    final = toon.exports_dir / "20261130-120000-run"
    named = []
    threads = [threading.Thread(target=lambda f=f: named.append(_publish(toon, f, final))) for f in builds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(p.name for p in named) == [final.name, f"{final.name}-2", f"{final.name}-3"]
