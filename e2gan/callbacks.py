"""Listeners for the training loop: the CLI and the studio watch training through these.

The loop (`e2gan.train.Trainer`) knows nothing about files, bars or plots; it fires events and each
callback does one job: `JsonlLog` writes log.jsonl, `SampleWriter` saves sample grids, `ProgressReporter`
feeds a progress bar with ETA. The studio adds its own for the live loss plot.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from e2gan import atomic
from e2gan.progress import ProgressFn, Tracker

if TYPE_CHECKING:
    from e2gan.train import Trainer


class TrainCallback:
    def on_start(self, trainer: "Trainer", start_step: int) -> None: ...

    def on_step(self, trainer: "Trainer", step: int, losses: dict[str, float]) -> None: ...

    def on_samples(self, trainer: "Trainer", step: int, grid: np.ndarray) -> None: ...

    def on_checkpoint(self, trainer: "Trainer", step: int, path: Path) -> None: ...

    def on_end(self, trainer: "Trainer", status: str) -> None: ...


class JsonlLog(TrainCallback):
    """One JSON line per step in `log.jsonl`; on resume, lines past the checkpoint are dropped.

    Lines are written in batches (every `flush_s` seconds, at each checkpoint and at the end), so a GPU
    doing dozens of steps a second pays for one disk flush, not one per step. A kill loses at most the
    unflushed lines, all after the last checkpoint: the resumed run writes them again."""

    def __init__(self, path: Path, every: int = 1, flush_s: float = 2.0):
        self.path, self.every, self.flush_s = Path(path), every, flush_s
        self.pending: list[dict] = []
        self.flushed_at = time.monotonic()

    def on_start(self, trainer, start_step):
        rows = [r for r in atomic.read_lines(self.path) if r.get("step", 0) <= start_step]
        atomic.write_text(self.path, "".join(_json_line(r) for r in rows))
        self.pending, self.flushed_at = [], time.monotonic()

    def on_step(self, trainer, step, losses):
        if step % self.every == 0 or step == trainer.settings.steps:
            self.pending.append({"step": step, "time_s": round(trainer.elapsed_s, 3), **losses})
        if time.monotonic() - self.flushed_at >= self.flush_s:
            self.flush()

    def on_checkpoint(self, trainer, step, path):
        self.flush()

    def on_end(self, trainer, status):
        self.flush()

    def flush(self) -> None:
        atomic.append_lines(self.path, self.pending)
        self.pending, self.flushed_at = [], time.monotonic()


class SampleWriter(TrainCallback):
    """Save each sample grid (source | teacher | student rows) as `samples/step-0000100.png`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def on_samples(self, trainer, step, grid):
        from PIL import Image

        img = Image.fromarray(grid)
        atomic.write_with(self.folder / f"step-{step:07d}.png", lambda f: img.save(f, format="PNG"))


class ProgressReporter(TrainCallback):
    """Report steps to a progress callback (tqdm in the CLI, a Gradio bar in the studio)."""

    def __init__(self, progress: ProgressFn | None, task: str = "Training"):
        self.progress, self.task = progress, task
        self.tracker: Tracker | None = None

    def on_start(self, trainer, start_step):
        self.tracker = Tracker(self.task, trainer.settings.steps, self.progress, initial=start_step)

    def on_step(self, trainer, step, losses):
        if self.tracker:
            self.tracker.done = step
            self.tracker.report(f"L1 {losses['g_l1']:.3f}")


def _json_line(row: dict) -> str:
    import json

    return json.dumps(row, ensure_ascii=False) + "\n"


def latest_sample(folder: Path) -> Path | None:
    samples = sorted(Path(folder).glob("step-*.png"))
    return samples[-1] if samples else None
