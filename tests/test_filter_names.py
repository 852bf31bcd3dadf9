"""A filter has a human name: "<project> · <preset> · <date>" by default, renamed from the CLI or the studio,
and shown in Try, in exports and their model cards."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from e2gan import finetune
from e2gan.export.build import export_filter
from e2gan.project import ProjectStore
from e2gan.runs import get_run, rename_run
from e2gan.runtime import finished_filters
from e2gan.train import TrainSettings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def toon(trained_project, tmp_path):
    shutil.copytree(trained_project.root, tmp_path / "projects" / "toon")
    return ProjectStore(tmp_path / "projects").open("toon")


def test_a_new_filter_is_named_after_its_project_and_preset(toon):
    settings = TrainSettings(steps=2, crop=32, checkpoint_every=100, sample_every=100)
    run = finetune.finetune(toon, "scratch", settings, preset="Quick")
    assert run.name.startswith("toon · Quick · ")
    other = finetune.finetune(toon, "scratch", settings)
    assert other.name.startswith("toon · from scratch · ")


def test_renaming_shows_everywhere_and_keeps_the_run(toon):
    run = get_run(toon, finished=True)
    rename_run(toon, run.id, "  Sunday   cartoon ")
    assert get_run(toon, run.id).name == "Sunday cartoon"  # spaces tidied
    (ref,) = [r for r in finished_filters(ProjectStore(toon.root.parent)) if r.name.endswith(run.id)]
    assert ref.title == "Sunday cartoon" and ref.name == f"toon · {run.id}"  # the key never changes
    result = export_filter(toon, ["onnx"], threads=1)
    assert result.report["title"] == "Sunday cartoon"
    assert (result.folder / "MODEL_CARD.md").read_text().startswith("# Sunday cartoon\n")


@pytest.mark.parametrize("bad, message", [("   ", "cannot be empty"), ("x" * 81, "at most 80")])
def test_a_bad_name_is_refused(toon, bad, message):
    with pytest.raises(ValueError, match=message):
        rename_run(toon, get_run(toon).id, bad)


def test_two_filters_of_a_project_cannot_share_a_name(toon):
    first = get_run(toon)
    second = finetune.finetune(toon, "scratch", TrainSettings(steps=2, crop=32, checkpoint_every=100, sample_every=100))
    rename_run(toon, first.id, "mine")
    with pytest.raises(ValueError, match="already called 'mine'"):
        rename_run(toon, second.id, "mine")


def test_the_command_line_lists_and_renames(toon):
    run = get_run(toon)
    cli = [sys.executable, "-m", "e2gan.cli", "--projects", str(toon.root.parent), "runs", "toon"]
    renamed = subprocess.run([*cli, "--rename", run.id, "my toon"], cwd=ROOT, capture_output=True, text=True)
    assert renamed.returncode == 0 and "is now called “my toon”" in renamed.stdout, renamed.stderr
    listed = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True)
    assert run.id in listed.stdout and "my toon" in listed.stdout
