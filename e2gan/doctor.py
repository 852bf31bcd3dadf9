"""Check a project folder for damage: every manifest parses, every file it names exists and loads.

Used by the fault-injection tests after each kill, and by `e2gan doctor NAME` when a user suspects a
problem (a disk that filled up, a folder edited by hand). Temp files (`.tmp-*`) left by a killed writer
are invisible to every reader and are not damage; anything else that is half-written is.
"""

from __future__ import annotations

import json
from pathlib import Path

from e2gan import atomic
from e2gan.models.weights import read_safetensors
from e2gan.project import Project, ProjectError


def check_project(project: Project) -> list[str]:
    """Problems found, as sentences; an empty list means the project is sound."""
    problems: list[str] = []
    try:
        project.load()
    except ProjectError as e:
        return [str(e)]
    problems += _check_sources(project)
    problems += _check_pairs(project)
    problems += _check_curate(project)
    problems += _check_runs(project)
    problems += _check_exports(project)
    return problems


def leftovers(project: Project) -> list[str]:
    """Harmless remains of work that stopped (not damage, so not in `check_project`), as sentences: images an
    interrupted import stored before listing them, and steps still marked running by a process that ended."""
    notes = []
    if orphans := orphan_sources(project):
        notes.append(f"{len(orphans)} image(s) in sources/ are not listed (left by an import that stopped); importing them "
                     "again reuses them, `e2gan doctor NAME --fix` removes them")  # fmt: skip
    for step, entry in project.load()["steps"].items():
        if entry.get("interrupted"):
            notes.append(f"step {step} was left running by a process that ended: run it again (or resume it)")
    return notes


def orphan_sources(project: Project) -> list[Path]:
    from e2gan import sources

    if not project.sources_dir.is_dir():
        return []
    listed = {e["file"] for e in sources.list_sources(project)}
    return sorted(p for p in project.sources_dir.glob("*.png") if p.name not in listed)


def _image_ok(path: Path) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
    except Exception as e:
        return f"{path} does not load ({type(e).__name__})"
    return None


def _json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError, OSError) as e:
        problems.append(f"{path} is not valid JSON ({e})")
        return None


def _check_sources(project: Project) -> list[str]:
    from e2gan import sources

    try:
        entries = sources.list_sources(project)  # validates the manifest; drops entries whose file is missing
    except ProjectError as e:
        return [str(e)]
    manifest = project.sources_dir / sources.MANIFEST
    listed = atomic.read_json(manifest)["sources"] if manifest.exists() else []
    problems = [f"source {e['id']} is listed but {e['file']} is missing" for e in listed if e not in entries]
    return problems + [err for e in entries if (err := _image_ok(project.sources_dir / e["file"]))]


def _check_pairs(project: Project) -> list[str]:
    from e2gan import pairs

    problems: list[str] = []
    path = pairs.manifest_path(project)
    if path.exists():
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines[:-1]):  # a torn *last* line is tolerated by readers
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if line.strip() and not isinstance(row, dict):
                problems.append(f"{path} line {i + 1} is damaged")
    for pair in pairs.read_pairs(project).values():
        if pair.status != "ok":
            continue
        target = project.root / pair.target
        if not target.is_file():
            problems.append(f"pair {pair.id} is listed but {pair.target} is missing")
        elif err := _image_ok(target):
            problems.append(err)
    return problems


def _check_curate(project: Project) -> list[str]:
    problems: list[str] = []
    for name in ("selection.json", "manual.json", "analysis.json", "map.json"):
        _json(project.curate_dir / name, problems)
    return problems


def _check_runs(project: Project) -> list[str]:
    from e2gan import checkpoint
    from e2gan.runs import list_runs

    problems: list[str] = []
    for run in list_runs(project):
        _json(run.root / "settings.json", problems)
        _json(run.root / "status.json", problems)
        _json(run.root / "result.json", problems)
        latest = run.root / "checkpoints" / checkpoint.LATEST
        if latest.exists() and checkpoint.latest(run.root / "checkpoints") is None:
            problems.append(f"{latest} points to a missing checkpoint")
        if run.status.get("state") == "done":
            weights = run.output_dir / ("adapter_model.safetensors" if run.settings.get("mode") == "lora" else "model.safetensors")
            if not weights.is_file():
                problems.append(f"run {run.id} is done but {weights.name} is missing")
            else:
                try:
                    read_safetensors(weights)
                except ValueError as e:
                    problems.append(f"run {run.id}: {e}")
        for line in atomic.read_lines(run.log_path):
            if not isinstance(line, dict):
                problems.append(f"{run.log_path} holds a damaged line")
                break
    return problems


def _check_exports(project: Project) -> list[str]:
    problems: list[str] = []
    if not project.exports_dir.is_dir():
        return problems
    for folder in project.exports_dir.iterdir():
        if folder.name.startswith(atomic.TEMP_PREFIX) or not folder.is_dir():
            continue
        report = _json(folder / "report.json", problems)
        if report is None:
            continue  # an export still being built (or killed before its report): it never claimed success
        for f in report.get("files", []):
            if not (folder / f["file"].rstrip("/")).exists():
                problems.append(f"export {folder.name} lists {f['file']} but it is missing")
    return problems
