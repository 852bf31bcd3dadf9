"""Progress events with ETA, one source for every long step's progress bar.

Library functions take an optional `progress` callback and report `ProgressEvent`s through a
`Tracker`; the CLI turns them into a tqdm bar (`tqdm_progress`), the studio into a Gradio progress bar.
Cancellation travels the other way: a callback may raise `Cancelled` to stop the step cleanly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional


class Cancelled(Exception):
    """Raised (by a progress callback or a cancel flag) to stop a long step between items."""


@dataclass
class ProgressEvent:
    task: str
    done: int
    total: int
    message: str = ""
    elapsed_s: float = 0.0
    eta_s: Optional[float] = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def describe(self) -> str:
        """'Generating pairs 12/40 · 0:35 left · astronaut.png' for status lines."""
        parts = [f"{self.task} {self.done}/{self.total}"]
        if self.eta_s is not None and self.done < self.total:
            parts.append(f"{format_duration(self.eta_s)} left")
        if self.message:
            parts.append(self.message)
        return " · ".join(parts)


ProgressFn = Callable[[ProgressEvent], None]


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Tracker:
    """Counts work done and reports it with an ETA from the average rate so far."""

    def __init__(self, task: str, total: int, callback: ProgressFn | None = None, initial: int = 0):
        self.task, self.total, self.callback = task, total, callback
        self.done = self.start_done = initial
        self.started = time.monotonic()
        self.report("")

    def advance(self, n: int = 1, message: str = "") -> None:
        self.done += n
        self.report(message)

    def report(self, message: str = "") -> None:
        if self.callback is None:
            return
        elapsed = time.monotonic() - self.started
        worked = self.done - self.start_done
        eta = elapsed / worked * (self.total - self.done) if worked > 0 else None
        self.callback(ProgressEvent(self.task, self.done, self.total, message, elapsed, eta))


def tqdm_progress(**tqdm_kwargs) -> ProgressFn:
    """A callback that draws a tqdm bar (with ETA) on stderr, for the CLI."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def callback(event: ProgressEvent) -> None:
        bar = bars.get(event.task)
        if bar is None or bar.total != event.total:
            if bar is not None:
                bar.close()
            bar = bars[event.task] = tqdm(total=event.total, desc=event.task, initial=event.done, **tqdm_kwargs)
        bar.update(event.done - bar.n)
        if event.message:
            bar.set_postfix_str(event.message[:40], refresh=False)
        if event.done >= event.total:
            bar.close()
            bars.pop(event.task, None)

    return callback
