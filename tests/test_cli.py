"""The `e2gan` command: verbs work on project folders and errors are one clear line."""

from __future__ import annotations

import subprocess
import sys

from e2gan import sources
from e2gan.cli import main


def run(store, *args) -> int:
    return main(["--projects", str(store.root), *args])


def test_new_list_show_rename_delete(store, capsys):
    assert run(store, "new", "ink", "--prompt", "make it an ink drawing") == 0
    assert "Next: e2gan sources add ink" in capsys.readouterr().out
    assert run(store, "list") == 0
    assert "make it an ink drawing" in capsys.readouterr().out
    assert run(store, "show", "ink") == 0
    assert "sources  empty" in capsys.readouterr().out
    assert run(store, "rename", "ink", "ink2") == 0
    assert run(store, "delete", "ink2") == 0
    assert run(store, "list") == 0
    assert "No projects" in capsys.readouterr().out


def test_sources_add_samples_and_bad_file(store, tmp_path, capsys):
    run(store, "new", "demo")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    assert run(store, "sources", "add", "demo", str(bad), "--samples", "--pixel-scale", "64") == 0
    out = capsys.readouterr().out
    assert "rejected  bad.png: not an image" in out
    assert len(sources.list_sources(store.open("demo"))) >= 12


def test_errors_are_one_clear_line(store, capsys):
    assert run(store, "show", "missing") == 2
    assert "error: No project named 'missing'" in capsys.readouterr().err
    assert run(store, "new", "../evil") == 2
    assert "Invalid project name" in capsys.readouterr().err


def test_console_script_help_teaches():
    out = subprocess.run([sys.executable, "-m", "e2gan.cli", "--help"], capture_output=True, text=True, check=True).stdout
    assert "e2gan new NAME --prompt TEXT" in out and "E2GAN_PROJECTS" in out
