"""Project folders: one folder per filter, the state every pipeline step reads and writes.

A project is a folder under the projects directory holding `project.json` (name, edit prompt, schema
version, creation time, the status of each pipeline step) and one sub-folder per step:

    <projects>/<name>/project.json
                     sources/   step 1: normalised source images + manifest
                     pairs/     step 2: teacher before/after pairs + manifest
                     curate/    step 3: embeddings, map, selection
                     runs/      step 5: training runs (adapter, log, samples, checkpoints)
                     exports/   step 7: ONNX, int8, Core ML, web build, model card

Because the state lives on disk, the CLI, a notebook and the studio see the same project, and a killed
process loses nothing: `project.json` is only ever replaced atomically, under a file lock so two
processes never lose each other's update, and a project is created in a hidden folder that is renamed
into place only once complete.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout

from e2gan import atomic, processes

SCHEMA_VERSION = 1
PROJECT_FILE = "project.json"
LOCK_FILE = ".lock"
TRASH_DIR = ".trash"
ENV_PROJECTS_DIR = "E2GAN_PROJECTS"
# The pipeline's steps in order; each has a status entry in project.json and (most) a sub-folder.
STEPS = ("sources", "teach", "curate", "train", "export")
STEP_FOLDERS = {"sources": "sources", "teach": "pairs", "curate": "curate", "train": "runs", "export": "exports"}
STATES = ("empty", "running", "done", "stale", "failed")
_NAME_RE = re.compile(r"^\w[\w .+-]{0,63}$")
MAX_NAME_BYTES = 128  # well under the 255-byte limit of a file name, leaving room for suffixes
MAX_PROMPT_CHARS = 1000  # text encoders read ~77-256 tokens; far longer is a paste gone wrong


class Busy(RuntimeError):
    """Work that may run only once at a time is already running; str(e) says what."""


class ProjectError(Exception):
    """A project can't be created, found or read; the message says what to do."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_projects_dir() -> Path:
    """`$E2GAN_PROJECTS` if set, else `~/e2gan-projects`."""
    env = os.environ.get(ENV_PROJECTS_DIR)
    return Path(env).expanduser() if env else Path.home() / "e2gan-projects"


def validate_name(name: str) -> str:
    """Project names become folder names, so they are plain: letters, digits, space, `_ . + -`."""
    name = (name or "").strip()
    if not _NAME_RE.match(name) or name.endswith(".") or name in {".", ".."}:
        raise ProjectError(
            f"Invalid project name {name!r}: use 1-64 letters, digits, spaces or _ . + - "
            "(starting with a letter or digit)."
        )
    return name


def validate_new_name(name: str) -> str:
    """A name for a new (or renamed) project: also short enough in bytes, which file systems limit (255), not
    letters. Only new names are checked, so a project made before the limit still opens."""
    name = validate_name(name)
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ProjectError(f"Project name {name!r} is too long: at most {MAX_NAME_BYTES} bytes in UTF-8 (non-Latin letters take 2-4 each).")
    return name


def validate_prompt(prompt: str) -> str:
    """An edit instruction: any text up to MAX_PROMPT_CHARS (empty is allowed until a teacher needs it)."""
    if not isinstance(prompt, str):
        raise ProjectError(f"The prompt must be text, got {type(prompt).__name__}.")
    prompt = " ".join(prompt.split())  # newlines and tabs from a paste become single spaces
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ProjectError(
            f"The prompt is {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}. "
            "Describe the edit in a sentence or two."
        )
    return prompt


def _new_document(name: str, prompt: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "prompt": prompt,
        "created": now_iso(),
        "updated": now_iso(),
        "steps": {step: {"state": "empty", "summary": "", "updated": None} for step in STEPS},
        "settings": {},
    }


@dataclass
class StepStatus:
    state: str = "empty"
    summary: str = ""
    updated: str | None = None


class Project:
    """One filter's folder. Reads `project.json` fresh on every access: other processes may write it."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # -- paths ----------------------------------------------------------------------------------
    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    def step_dir(self, step: str) -> Path:
        return self.root / STEP_FOLDERS[step]

    @property
    def sources_dir(self) -> Path:
        return self.step_dir("sources")

    @property
    def pairs_dir(self) -> Path:
        return self.step_dir("teach")

    @property
    def curate_dir(self) -> Path:
        return self.step_dir("curate")

    @property
    def runs_dir(self) -> Path:
        return self.step_dir("train")

    @property
    def exports_dir(self) -> Path:
        return self.step_dir("export")

    # -- document ---------------------------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        try:
            doc = atomic.read_json(self.file)
        except FileNotFoundError as e:
            raise ProjectError(f"{self.root} is not a project: it has no {PROJECT_FILE}.") from e
        except (ValueError, UnicodeDecodeError) as e:
            raise ProjectError(
                f"{self.file} is not valid JSON ({e}); restore it from a backup or fix it by hand."
            ) from e
        return _settle_steps(_check_document(doc, self.file))

    @property
    def name(self) -> str:
        return self.load()["name"]

    @property
    def prompt(self) -> str:
        return self.load()["prompt"]

    def step(self, step: str) -> StepStatus:
        entry = self.load()["steps"].get(step) or {}
        return StepStatus(**{k: entry.get(k, v) for k, v in StepStatus().__dict__.items()})

    @contextlib.contextmanager
    def lock(self, name: str = "project") -> Iterator[None]:
        """An exclusive, named lock for a read-modify-write, between processes too (on every OS: `filelock`).

        "project" guards project.json; steps take their own names ("sources", "pairs", ...).
        """
        with FileLock(self.root / f"{LOCK_FILE}-{name}"):
            yield

    @contextlib.contextmanager
    def exclusive(self, name: str, what: str) -> Iterator[None]:
        """Like `lock`, but for long work that must never run twice at once (training one run): a second
        process is refused at once, with `Busy` naming `what`, instead of waiting hours."""
        held = FileLock(self.root / f"{LOCK_FILE}-{name}")
        try:
            held.acquire(timeout=0)
        except Timeout:
            raise Busy(f"{what} is already running in another process (the studio or a command line); "
                       "wait for it to finish or stop it first") from None  # fmt: skip
        try:
            yield
        finally:
            held.release()

    def update(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply `change(doc)` to project.json under the lock and write it atomically."""
        with self.lock():
            doc = self.load()
            change(doc)
            doc["updated"] = now_iso()
            atomic.write_json(self.file, doc)
            return doc

    def set_prompt(self, prompt: str) -> None:
        prompt = validate_prompt(prompt)
        self.update(lambda doc: doc.__setitem__("prompt", prompt))

    def set_step(self, step: str, state: str, summary: str = "") -> None:
        if step not in STEPS or state not in STATES:
            raise ValueError(f"unknown step/state {step!r}/{state!r}")

        def change(doc: dict[str, Any]) -> None:
            doc["steps"][step] = {"state": state, "summary": summary, "updated": now_iso(), **(processes.stamp() if state == "running" else {})}

        self.update(change)

    def mark_downstream_stale(self, step: str) -> None:
        """After `step` changes, later steps that were done no longer match their inputs."""
        later = STEPS[STEPS.index(step) + 1 :]

        def change(doc: dict[str, Any]) -> None:
            for s in later:
                if doc["steps"][s]["state"] == "done":
                    doc["steps"][s]["state"] = "stale"

        self.update(change)

    def get_setting(self, key: str, default: Any = None) -> Any:
        return self.load().get("settings", {}).get(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        self.update(lambda doc: doc.setdefault("settings", {}).__setitem__(key, value))

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"


def _settle_steps(doc: dict[str, Any]) -> dict[str, Any]:
    """A step marked running by a process that has ended (killed, crashed, a failed export) reads as failed,
    saying so, instead of running forever."""
    for step, entry in doc["steps"].items():
        if isinstance(entry, dict) and entry.get("state") == "running" and "pid" in entry and not processes.alive(entry["pid"], entry.get("process_started"), entry.get("host")):
            doc["steps"][step] = {**entry, "state": "failed", "summary": f"stopped before finishing ({entry.get('summary', '')}): run it again",
                                  "interrupted": True}  # fmt: skip
    return doc


def _check_document(doc: Any, path: Path) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise ProjectError(f"{path} is not a project file (no name).")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ProjectError(
            f"{path} has schema version {version!r}; this version of E2GAN Studio reads up to "
            f"{SCHEMA_VERSION}. Upgrade the studio to open it."
        )
    if not isinstance(doc.setdefault("prompt", ""), str):
        raise ProjectError(f"{path}: 'prompt' must be text.")
    if not isinstance(doc.setdefault("settings", {}), dict):
        raise ProjectError(f"{path}: 'settings' must be an object.")
    steps = doc.setdefault("steps", {})
    if not isinstance(steps, dict):
        raise ProjectError(f"{path}: 'steps' must be an object.")
    for step in STEPS:
        entry = steps.get(step)
        if not isinstance(entry, dict) or entry.get("state") not in STATES:
            steps[step] = {"state": "empty", "summary": "", "updated": None}
    return doc


@dataclass
class ProjectInfo:
    """A row of the project list; `error` is set for a folder that can't be opened."""

    name: str
    path: Path
    prompt: str = ""
    created: str = ""
    updated: str = ""
    error: str = ""


class ProjectStore:
    """The projects directory: create, open, list, rename and delete projects."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root).expanduser() if root else default_projects_dir()

    def path(self, name: str) -> Path:
        return self.root / validate_name(name)

    def exists(self, name: str) -> bool:
        return (self.path(name) / PROJECT_FILE).is_file()

    def create(self, name: str, prompt: str = "") -> Project:
        """Create a project; built in a hidden folder and renamed into place, so it's all or nothing."""
        name, prompt = validate_new_name(name), validate_prompt(prompt)
        final = self.root / name
        if final.exists():
            raise ProjectError(f"A project named {name!r} already exists in {self.root}.")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=atomic.TEMP_PREFIX + "project-", dir=self.root))
        try:
            for folder in STEP_FOLDERS.values():
                (staging / folder).mkdir()
            atomic.write_json(staging / PROJECT_FILE, _new_document(name, prompt))
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.open(name)

    def open(self, name: str, heal: bool = False) -> Project:
        """Open a project. `heal` also tidies what a killed process can leave behind (old temp
        files, a missing step folder); readers never see those, so it is housekeeping, not repair."""
        root = self.path(name)
        if not root.is_dir():
            raise ProjectError(f"No project named {name!r} in {self.root}.")
        project = Project(root)
        project.load()
        if heal:
            for step in STEPS:
                project.step_dir(step).mkdir(exist_ok=True)
                atomic.clean_temp_files(project.step_dir(step))
            atomic.clean_temp_files(root)
        return project

    def list(self) -> list[ProjectInfo]:
        """Every project folder, newest first; unreadable ones are listed with their error."""
        if not self.root.is_dir():
            return []
        self._remove_stale_staging()
        rows = []
        for child in self.root.iterdir():
            if child.name.startswith(".") or not child.is_dir():
                continue
            try:
                doc = Project(child).load()
                rows.append(
                    ProjectInfo(child.name, child, doc["prompt"], doc.get("created", ""), doc.get("updated", ""))
                )
            except ProjectError as e:
                rows.append(ProjectInfo(child.name, child, error=str(e)))
        return sorted(rows, key=lambda r: r.updated or "", reverse=True)

    def _remove_stale_staging(self) -> None:
        """Remove half-created projects left by a killed `create` (old enough not to be in flight)."""
        atomic.clean_temp_files(self.root, min_age_s=3600)

    def rename(self, old: str, new: str) -> Project:
        new = validate_new_name(new)
        project = self.open(old)
        target = self.root / new
        if target.exists():
            raise ProjectError(f"A project named {new!r} already exists.")
        with project.lock():
            os.rename(project.root, target)
        moved = Project(target)
        moved.update(lambda doc: doc.__setitem__("name", new))
        return moved

    def delete(self, name: str) -> Path:
        """Move a project to `<projects>/.trash/` (recoverable); returns where it went."""
        project = self.open(name)
        trash = self.root / TRASH_DIR
        trash.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        target = trash / f"{project.root.name}-{stamp}"
        os.rename(project.root, target)
        return target
