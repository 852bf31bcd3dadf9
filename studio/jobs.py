"""Heavy jobs in the studio: one at a time, in the background, outliving the page that started them.

Training, pair generation and exports each hold the studio's single job slot while they run, so two tabs
(or two people) never start two heavy jobs at once: the second gets a clear "busy" answer naming what is
running. Background jobs (training) run in a thread of the server process; their state is read back from
the project folder (run status, log, samples), so closing or reloading the page loses nothing, and after a
server restart the run shows as interrupted with a one-click resume.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterator

from e2gan.progress import ProgressEvent
from e2gan.project import Busy


@dataclass
class Job:
    kind: str  # "training", "pairs", "export"…
    project: str
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: ProgressEvent | None = None
    error: str = ""
    done: bool = False
    thread: threading.Thread | None = None

    def describe(self) -> str:
        what = f"{self.kind} for “{self.project}”"
        return f"{what} ({self.progress.describe()})" if self.progress else what

    def on_progress(self, event: ProgressEvent) -> None:
        self.progress = event


class JobSlot:
    """The studio's one slot for heavy work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Job | None = None
        self.last: Job | None = None  # the most recent finished job (its error, if any, is shown once)

    def _claim(self, kind: str, project: str) -> Job:
        with self._lock:
            if self.current is not None and not self.current.done:
                raise Busy(f"Busy: {self.current.describe()} is running. Wait for it to finish or cancel it.")
            self.current = Job(kind, project)
            return self.current

    def _release(self, job: Job) -> None:
        with self._lock:
            job.done = True
            self.last = job
            if self.current is job:
                self.current = None

    @contextlib.contextmanager
    def hold(self, kind: str, project: str) -> Iterator[Job]:
        """Run a heavy job in the caller's thread (pairs, exports); raises `Busy` if the slot is taken."""
        job = self._claim(kind, project)
        try:
            yield job
        finally:
            self._release(job)

    def start(self, kind: str, project: str, work: Callable[[Job], object]) -> Job:
        """Run `work(job)` in a background thread; raises `Busy` if the slot is taken."""
        job = self._claim(kind, project)

        def run() -> None:
            try:
                work(job)
            except BaseException as e:  # shown in the UI; the run folder records it too
                job.error = f"{type(e).__name__}: {e}"
                traceback.print_exc()
            finally:
                self._release(job)

        job.thread = threading.Thread(target=run, name=f"e2gan-{kind}", daemon=True)
        job.thread.start()
        return job

    def running(self, project: str | None = None) -> Job | None:
        job = self.current
        if job is None or job.done or (project is not None and job.project != project):
            return None
        return job
