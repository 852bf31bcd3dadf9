"""Project folders: create/open/list/rename/delete, atomic writes and recovery after a killed process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from e2gan import atomic
from e2gan.project import PROJECT_FILE, STEPS, ProjectError, ProjectStore, default_projects_dir


def test_create_writes_document_and_step_folders(store):
    project = store.create("zombie", "turn him into a zombie")
    doc = json.loads((project.root / PROJECT_FILE).read_text())
    assert doc["name"] == "zombie" and doc["prompt"] == "turn him into a zombie"
    assert doc["schema_version"] == 1 and doc["created"]
    assert set(doc["steps"]) == set(STEPS) and all(s["state"] == "empty" for s in doc["steps"].values())
    for folder in ("sources", "pairs", "curate", "runs", "exports"):
        assert (project.root / folder).is_dir()


def test_create_refuses_duplicates_and_bad_names(store):
    store.create("a")
    with pytest.raises(ProjectError, match="already exists"):
        store.create("a")
    for bad in ("", "..", "../x", "a/b", ".hidden", " ", "x" * 65, "ends."):
        with pytest.raises(ProjectError, match="Invalid project name"):
            store.create(bad)


def test_unicode_and_spaces_in_names(store):
    assert store.create("aquarelle été 2").name == "aquarelle été 2"


def test_list_rename_delete(store):
    store.create("one", "p1")
    store.create("two", "p2")
    assert {r.name for r in store.list()} == {"one", "two"}
    renamed = store.rename("one", "uno")
    assert renamed.name == "uno" and renamed.prompt == "p1"
    assert not (store.root / "one").exists()
    trash = store.delete("two")
    assert trash.is_dir() and (trash / PROJECT_FILE).is_file()
    assert [r.name for r in store.list()] == ["uno"]
    with pytest.raises(ProjectError, match="No project"):
        store.open("two")


def test_projects_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("E2GAN_PROJECTS", str(tmp_path / "elsewhere"))
    assert default_projects_dir() == tmp_path / "elsewhere"
    assert ProjectStore().root == tmp_path / "elsewhere"


def test_step_status_and_downstream_staleness(project):
    project.set_step("sources", "done", "18 images")
    project.set_step("teach", "done", "18 pairs")
    project.mark_downstream_stale("sources")
    assert project.step("sources").state == "done"
    assert project.step("teach").state == "stale"
    assert project.step("curate").state == "empty"


def test_failed_write_leaves_previous_file(project, monkeypatch):
    before = project.file.read_text()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        project.set_prompt("new prompt")
    monkeypatch.undo()
    assert project.file.read_text() == before
    assert not [p for p in project.root.iterdir() if p.name.startswith(atomic.TEMP_PREFIX)]


def test_reopen_after_crash_mid_write(store, project):
    # What a process killed mid-write leaves: a half-written temp file beside an intact project.json,
    # a half-built project in a hidden staging folder, and a missing step folder.
    old = time.time() - 7200
    leftover = project.root / f"{atomic.TEMP_PREFIX}{PROJECT_FILE}.abc"
    leftover.write_text('{"name": "trunc')
    os.utime(leftover, (old, old))
    in_flight = project.pairs_dir / f"{atomic.TEMP_PREFIX}pair.png.def"  # another process still writing
    in_flight.write_bytes(b"...")
    staging = store.root / f"{atomic.TEMP_PREFIX}project-xyz"
    staging.mkdir()
    os.utime(staging, (old, old))
    (project.root / "curate").rmdir()
    assert store.open("test filter").prompt == "make it a watercolour painting"  # readers ignore leftovers
    reopened = store.open("test filter", heal=True)
    assert (reopened.root / "curate").is_dir()
    assert not leftover.exists() and in_flight.exists()
    assert [r.name for r in store.list()] == ["test filter"]
    assert not staging.exists()


WRITER = """
import sys
from e2gan.project import ProjectStore
p = ProjectStore(sys.argv[1]).open("test filter")
i = 0
print("ready", flush=True)
while True:
    i += 1
    p.set_setting("padding", "x" * 5000 + str(i))  # a big file: the write takes long enough to be hit
    p.set_prompt("prompt " + str(i))
"""


def test_kill_during_writes_never_corrupts(store, project):
    """SIGKILL a process that rewrites project.json in a loop, at several moments; it always opens."""
    for delay in (0.05, 0.13, 0.21, 0.37):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store.root)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reopened = store.open("test filter")
        assert reopened.prompt.startswith("prompt ")
        assert reopened.load()["steps"]["sources"]["state"] == "empty"


INCREMENTER = """
import sys
from e2gan.project import ProjectStore
p = ProjectStore(sys.argv[1]).open("test filter")
for _ in range(40):
    p.update(lambda d: d["settings"].__setitem__("n", d["settings"].get("n", 0) + 1))
"""


def test_concurrent_updates_are_not_lost(store, project):
    procs = [subprocess.Popen([sys.executable, "-c", INCREMENTER, str(store.root)]) for _ in range(2)]
    assert all(p.wait(60) == 0 for p in procs)
    assert project.get_setting("n") == 80


def test_unreadable_project_is_listed_with_its_error(store):
    broken = store.root / "broken"
    broken.mkdir(parents=True)
    (broken / PROJECT_FILE).write_text("{not json")
    (store.root / "no-file").mkdir()
    rows = {r.name: r for r in store.list()}
    assert "not valid JSON" in rows["broken"].error
    assert "no project.json" in rows["no-file"].error
    with pytest.raises(ProjectError, match="not valid JSON"):
        store.open("broken")


def test_newer_schema_is_refused_with_advice(store, project):
    doc = project.load()
    doc["schema_version"] = 99
    atomic.write_json(project.file, doc)
    with pytest.raises(ProjectError, match="Upgrade the studio"):
        store.open("test filter")


def test_jsonl_reader_skips_torn_last_line(tmp_path):
    path = tmp_path / "log.jsonl"
    atomic.append_line(path, {"step": 1})
    atomic.append_line(path, {"step": 2})
    with open(path, "a") as f:
        f.write('{"step": 3, "lo')
    assert atomic.read_lines(path) == [{"step": 1}, {"step": 2}]
