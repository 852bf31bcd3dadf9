"""Training runs of a project: one folder per run, everything needed to resume or reproduce it.

    runs/<id>/settings.json    what was asked (mode, base, training and LoRA settings, pairs used)
              status.json      running | done | cancelled | failed | interrupted, with the step and a message
              log.jsonl        one line of losses per step
              samples/         teacher vs student grids during training
              checkpoints/     for resume
              adapter/         the LoRA filter (peft format)  — or model/ for full fine-tuning and scratch runs
              result.json      metrics, time, sizes

A run whose status says "running" but whose process is gone was interrupted (a crash or a restart): the
studio shows it as such with a one-click resume.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from e2gan import atomic, processes
from e2gan.project import Project, now_iso

MODES = ("lora", "full", "scratch", "pix2pix")
NAME_FILE = "name.json"  # the filter's name after a rename (settings.json stays what was asked)
MAX_NAME_CHARS = 80


class Run:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def settings(self) -> dict:
        return atomic.read_json(self.root / "settings.json")

    @property
    def name(self) -> str:
        """The filter's human name: given at rename, else the one given at creation, else the run id."""
        try:
            return str(atomic.read_json(self.root / NAME_FILE)["name"])
        except (OSError, ValueError, KeyError, TypeError):
            return str(self.settings.get("name") or self.id)

    @property
    def status(self) -> dict:
        try:
            status = atomic.read_json(self.root / "status.json")
        except (OSError, ValueError):
            return {"state": "interrupted", "step": 0, "message": "no status file"}
        if status.get("state") in ("created", "running") and not processes.alive(status.get("pid"), status.get("process_started"), status.get("host")):
            status = {**status, "state": "interrupted", "message": "the training process stopped; resume it"}
        return status

    def set_status(self, state: str, step: int = 0, message: str = "") -> None:
        atomic.write_json(
            self.root / "status.json",
            {
                "state": state, "step": step, "message": message, "updated": now_iso(),
                **processes.stamp(),
            },  # fmt: skip
        )

    @property
    def result(self) -> dict:
        try:
            return atomic.read_json(self.root / "result.json")
        except (OSError, ValueError):
            return {}

    @property
    def evaluation(self) -> dict:
        """Quality against the teacher (`e2gan.evaluate.evaluate_run`), if it was measured."""
        try:
            return atomic.read_json(self.root / "eval" / "metrics.json")
        except (OSError, ValueError):
            return {}

    @property
    def log_path(self) -> Path:
        return self.root / "log.jsonl"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def output_dir(self) -> Path:
        """adapter/ for LoRA runs, model/ otherwise."""
        return self.root / ("adapter" if self.settings.get("mode") == "lora" else "model")

    def __repr__(self) -> str:
        return f"Run({self.id!r})"


def default_name(project: Project, how: str, when: datetime | None = None) -> str:
    """"<project> · <preset or mode> · <date>": tells apart two filters of one project at a glance."""
    when = when or datetime.now()
    return f"{project.name} · {how} · {when.strftime('%d %b %H:%M')}"


def rename_run(project: Project, run_id: str, name: str) -> Run:
    """Give a run's filter a new name (shown in Try, exports, model cards and the phone page)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValueError("a filter's name cannot be empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"a filter's name may have at most {MAX_NAME_CHARS} characters, not {len(name)}")
    run = get_run(project, run_id)
    if any(other.name == name for other in list_runs(project) if other.id != run.id):
        raise ValueError(f"another filter of {project.name} is already called {name!r}")
    atomic.write_json(run.root / NAME_FILE, {"name": name})
    return run


def new_run(project: Project, settings: dict) -> Run:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    root = project.runs_dir / f"{stamp}-{settings.get('mode', 'run')}"
    n = 1
    while root.exists():
        n += 1
        root = project.runs_dir / f"{stamp}-{settings.get('mode', 'run')}-{n}"
    root.mkdir(parents=True)
    atomic.write_json(root / "settings.json", settings)
    run = Run(root)
    run.set_status("created")
    return run


def list_runs(project: Project) -> list[Run]:
    """Runs, newest first."""
    if not project.runs_dir.is_dir():
        return []
    runs = [Run(p) for p in project.runs_dir.iterdir() if (p / "settings.json").is_file()]
    return sorted(runs, key=lambda r: r.id, reverse=True)


def get_run(project: Project, run_id: str | None = None, finished: bool = False) -> Run:
    """A run by id, or the newest (finished one, if asked)."""
    runs = list_runs(project)
    if run_id:
        for run in runs:
            if run.id == run_id:
                return run
        raise FileNotFoundError(f"no run {run_id!r} in {project.name}")
    for run in runs:
        if not finished or (run.status.get("state") == "done" and run.output_dir.is_dir()):
            return run
    raise FileNotFoundError(f"{project.name} has no {'finished ' if finished else ''}training run yet: train one first")
