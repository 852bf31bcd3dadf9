"""Fault injection: SIGKILL the CLI at random (seeded) moments of every pipeline step, over and over.

For each step: run it once uninterrupted for the reference result; then on a fresh copy, start the same
command and kill it after a random delay, check the project (`e2gan.doctor`: every manifest parses, every
file it names loads, nothing half-written is visible), run the step's resume command, kill again… until
at least 10 kills have landed while the process was working; then let it finish and compare the result
with the reference. The number of kill points tried and survived is printed in the test summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from e2gan import pairs, sources
from e2gan.curate import read_selection
from e2gan.distill import distill
from e2gan.doctor import check_project
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.project import ProjectStore
from e2gan.runs import list_runs
from e2gan.teachers.offline import offline_spec

ROOT = Path(__file__).resolve().parents[1]
KILLS_PER_STEP = 10
TALLY: dict[str, dict[str, int]] = {}  # step → {"tried": n, "survived": n}; reported by conftest


def cli(projects: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "e2gan.cli", "--projects", str(projects), *args]


def last_write(folder: Path) -> int:
    """The newest modification time (ns) of anything in `folder`: how we see that a process started writing."""
    newest = 0
    for root, dirs, files in os.walk(folder):
        for entry in dirs + files:
            try:
                newest = max(newest, os.stat(os.path.join(root, entry), follow_symlinks=False).st_mtime_ns)
            except FileNotFoundError:
                pass  # renamed away while we looked
    return newest


def timed_run(cmd: list[str], watch: Path) -> tuple[float, float]:
    """Run `cmd` to the end; (seconds until its first write into `watch`, total seconds)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    before, began, first = last_write(watch), time.monotonic(), None
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        if first is None and last_write(watch) > before:
            first = time.monotonic() - began
        time.sleep(0.01)
    assert proc.returncode == 0, proc.stderr.read()[-2000:]
    total = time.monotonic() - began
    return (first if first is not None else total), total


def kill_after(cmd: list[str], delay: float, watch: Path) -> str:
    """Start `cmd`, SIGKILL it after `delay` s: "finished" if it ended first, "in work" if it had written
    into `watch` by then (a real kill point), "before work" if it was still starting up."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    before = last_write(watch)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return "finished"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return "in work" if last_write(watch) > before else "before work"


def torture(step: str, template: Path, name: str, start, resume, result, seed: int) -> None:
    """Kill `start(projects)` / `resume(projects)` until ≥ KILLS_PER_STEP kills have landed after the process
    began writing; check after each kill; finally let it finish and compare `result(project)` with an
    uninterrupted run's."""
    workdir = template.parent / f"{step}-work"
    reference_dir = template.parent / f"{step}-reference"
    shutil.copytree(template, reference_dir)
    first_write, duration = timed_run(start(reference_dir), reference_dir)
    expected = result(ProjectStore(reference_dir).open(name))

    rng = random.Random(seed)
    tally = TALLY.setdefault(step, {"tried": 0, "survived": 0})
    shutil.copytree(template, workdir)
    first = True
    while tally["tried"] < KILLS_PER_STEP:
        cmd = start(workdir) if first else resume(workdir)
        outcome = kill_after(cmd, rng.uniform(first_write, duration), workdir)
        if outcome == "finished":
            shutil.rmtree(workdir)  # it finished before the kill: start over on a fresh copy
            shutil.copytree(template, workdir)
            first = True
            continue
        first = False
        if outcome == "before work":
            continue  # still importing: not a kill point worth counting
        tally["tried"] += 1
        project = ProjectStore(workdir).open(name, heal=True)
        problems = check_project(project)
        assert problems == [], f"{step}: damage after kill {tally['tried']}: {problems}"
        tally["survived"] += 1
    final = run(resume(workdir))
    assert final.returncode == 0, final.stderr[-2000:]
    project = ProjectStore(workdir).open(name)
    assert check_project(project) == []
    assert result(project) == expected, f"{step}: the resumed result differs from the uninterrupted one"


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    torch.manual_seed(0)
    Generator(GeneratorConfig(width=4, attn_width=16, heads=2, text_tokens=8, pixel_scale=32)).save_pretrained(root / "base")
    return root


def images_folder(root: Path, n: int = 12) -> Path:
    from e2gan.samples import iter_samples

    folder = root / "photos"
    if not folder.exists():
        folder.mkdir()
        for name, load in list(iter_samples())[:n]:
            (folder / name).write_bytes(load())
    return folder


def source_ids(project) -> list:
    return sorted((e["id"], hashlib.sha1((project.sources_dir / e["file"]).read_bytes()).hexdigest()) for e in sources.list_sources(project))


def pair_prints(project) -> list:
    return sorted(
        (p.id, p.seed, p.teacher_key, hashlib.sha1((project.root / p.target).read_bytes()).hexdigest())
        for p in pairs.read_pairs(project).values()
    )


def template_with(lab: Path, step: str, upto: str) -> Path:
    """A projects folder holding project `p` prepared up to (not including) `step`."""
    folder = lab / f"{step}-template"
    store = ProjectStore(folder)
    project = store.create("p", "make it an old photograph")
    if upto in ("distill", "curate", "finetune", "export"):
        sources.add_folder(project, images_folder(lab), settings=sources.SourceSettings(pixel_scale=64))
    if upto in ("curate", "finetune", "export"):
        distill(project, offline_spec("old_photo"))
    if upto in ("finetune", "export"):
        from e2gan.curate import CurateSettings, curate

        curate(project, CurateSettings(k=6))
    if upto == "export":
        from e2gan import finetune
        from e2gan.train import TrainSettings

        finetune.finetune(project, "lora", TrainSettings(steps=4, crop=32, checkpoint_every=2, sample_every=2), base=lab / "base")
    return folder


def test_kill_during_source_import(lab):
    folder = images_folder(lab)
    add = lambda d: cli(d, "sources", "add", "p", str(folder), "--pixel-scale", "256")  # noqa: E731
    torture("sources", template_with(lab, "sources", "sources"), "p", add, add, source_ids, seed=1)


def test_kill_during_distillation(lab):
    go = lambda d: cli(d, "distill", "p", "--teacher", "oil_paint")  # noqa: E731
    torture("distill", template_with(lab, "distill", "distill"), "p", go, go, pair_prints, seed=2)


def test_kill_during_curation(lab):
    go = lambda d: cli(d, "curate", "p", "--k", "5")  # noqa: E731
    torture("curate", template_with(lab, "curate", "curate"), "p", go, go, lambda p: read_selection(p)["ids"], seed=3)


def adapter_weights(project) -> str:
    from safetensors.torch import load_file

    (run,) = [r for r in list_runs(project) if r.status.get("state") == "done"][:1]
    tensors = load_file(str(run.output_dir / "adapter_model.safetensors"))
    return hashlib.sha1(b"".join(t.numpy().tobytes() for _, t in sorted(tensors.items()))).hexdigest()


def test_kill_during_finetuning(lab):
    args = ["--base", str(lab / "base"), "--steps", "24", "--crop", "32", "--checkpoint-every", "3", "--sample-every", "10"]
    def start(projects: Path) -> list[str]:
        return cli(projects, "finetune", "p", *args)

    def resume(projects: Path) -> list[str]:
        runs = list_runs(ProjectStore(projects).open("p"))
        return cli(projects, "finetune", "p", "--resume") if runs else start(projects)

    def one_run(project) -> str:  # kills must never leave two runs for one request
        assert len(list_runs(project)) == 1
        return adapter_weights(project)

    torture("finetune", template_with(lab, "finetune", "finetune"), "p", start, resume, one_run, seed=4)


def export_output(project) -> list:
    from e2gan.export.build import list_exports
    from e2gan.export.onnx_model import session

    folder = list_exports(project)[0]
    report = json.loads((folder / "report.json").read_text())
    assert report["parity"] and all(p["passed"] for p in report["parity"])
    x = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    return np.round(session(folder / "model.onnx").run(None, {"image": x})[0], 5).ravel().tolist()


def test_kill_during_export(lab):
    go = lambda d: cli(d, "export", "p", "--format", "onnx,int8")  # noqa: E731
    torture("export", template_with(lab, "export", "export"), "p", go, go, export_output, seed=5)
