"""What every tab shares: the projects store, remembered preferences and small view helpers.

The studio keeps no state of its own beyond the selected project (a dropdown value per browser tab);
everything else is read from the project folder on each event, so a refresh or a restart loses nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from e2gan import atomic
from e2gan.progress import ProgressEvent, ProgressFn
from e2gan.project import STEPS, Project, ProjectError, ProjectStore
from studio.jobs import JobSlot

PREFERENCES_FILE = ".studio.json"  # in the projects directory: the last opened project
STEP_LABELS = {"sources": "Filter", "teach": "Teach", "curate": "Curate", "train": "Train", "export": "Export"}
STATE_ICONS = {"empty": "○", "running": "◔", "done": "●", "stale": "◐", "failed": "✕"}


@dataclass
class Studio:
    store: ProjectStore
    phone_server: object = None  # the LAN server of a phone web build, when the user turned it on
    jobs: JobSlot = field(default_factory=JobSlot)  # the one heavy job at a time (training, pairs, export)
    import_roots: tuple[str, ...] = ()  # folders a typed path may import from (none: uploads only)

    def stop_phone_server(self) -> None:
        if self.phone_server is not None:
            self.phone_server.stop()
            self.phone_server = None

    def project(self, name: str | None) -> Project | None:
        """The selected project, or None when nothing is selected or it vanished."""
        if not name:
            return None
        with contextlib.suppress(ProjectError):
            return self.store.open(name)
        return None

    def project_names(self) -> list[str]:
        return [row.name for row in self.store.list() if not row.error]

    # -- preferences -----------------------------------------------------------------------------
    def last_project(self) -> str | None:
        path = self.store.root / PREFERENCES_FILE
        with contextlib.suppress(OSError, ValueError):
            name = atomic.read_json(path).get("last_project")
            if name and self.store.exists(name):
                return name
        names = self.project_names()
        return names[0] if names else None

    def remember(self, name: str | None) -> None:
        if name:
            self.store.root.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                atomic.write_json(self.store.root / PREFERENCES_FILE, {"last_project": name})


def status_markdown(project: Project | None) -> str:
    """One line naming each step's state, shown above the tabs at all times."""
    if project is None:
        return "**No project open.** Create one below or pick one from the list."
    try:
        doc = project.load()
    except ProjectError as e:
        return f"**Project unreadable:** {e}"
    parts = []
    for step in STEPS:
        entry = doc["steps"][step]
        label = f"{STATE_ICONS[entry['state']]} {STEP_LABELS[step]}"
        parts.append(f"{label}: {entry['summary'] or entry['state']}")
    prompt = doc["prompt"] or "no prompt yet"
    return f"**{doc['name']}** — _{prompt}_  \n" + " · ".join(parts)


def gradio_progress(progress) -> ProgressFn:
    """Adapt a `gr.Progress` to the library's progress callback, with the ETA in the label."""

    def callback(event: ProgressEvent) -> None:
        progress((event.done, event.total), desc=event.describe(), unit="items")

    return callback


def plural(n: int, word: str) -> str:
    """"1 pair", "3 pairs"."""
    return f"{n} {word}{'' if n == 1 else 's'}"
