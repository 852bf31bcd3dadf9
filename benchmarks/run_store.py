"""Finished benchmark runs kept across invocations (results/<name>_runs/), so that arms measured hours or
sessions apart on a CPU publish together, and a stopped benchmark resumes where it stopped.

A run is stored under (concept, arm, seed) with a fingerprint of everything that decides its result (the
arm's settings, the base weights, the judging set); a run whose fingerprint no longer matches what would
run now is ignored, so a changed preset or a re-trained base can never publish an old number. The first
seed's outputs on the first few judging crops are kept as a JPEG strip for the grids.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

SHOWN = 6  # judging crops kept per (concept, arm) for the grids


def fingerprint(parts: dict) -> str:
    """A short stable hash of the JSON-able settings that decide a run's result."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def array_digest(arrays: list[np.ndarray]) -> str:
    """A short hash of arrays' bytes (pairs, judging crops): a changed photo or teacher changes it."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


class RunStore:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.runs: dict[str, dict] = {}
        self.shown: dict[tuple[str, str], list[np.ndarray]] = {}
        if folder is not None and (folder / "runs.json").exists():
            self.runs = json.loads((folder / "runs.json").read_text())["runs"]

    def get(self, concept: str, arm: str, seed: int, key: str) -> dict | None:
        run = self.runs.get(f"{concept}/{arm}/{seed}")
        return run if run is not None and run.get("fingerprint") == key else None

    def seeds(self, concept: str, arm: str, key: str) -> list[dict]:
        """The stored runs of an arm with this fingerprint, in seed order (seeds 0, 1, ... without gaps)."""
        out = []
        while (run := self.get(concept, arm, len(out), key)) is not None:
            out.append(run)
        return out

    def put(self, concept: str, arm: str, seed: int, key: str, run: dict, outputs: list[np.ndarray] | None) -> None:
        stamp = {"fingerprint": key, "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}  # fmt: skip
        self.runs[f"{concept}/{arm}/{seed}"] = {**run, **stamp}
        if outputs is not None:
            self.shown[(concept, arm)] = list(outputs[:SHOWN])
        if self.folder is None:
            return
        from e2gan import atomic

        self.folder.mkdir(parents=True, exist_ok=True)
        if outputs is not None:
            strip = Image.fromarray(np.concatenate(list(outputs[:SHOWN]), axis=1))
            atomic.write_with(self.folder / f"{concept}_{arm}.jpg", lambda f: strip.save(f, format="JPEG", quality=92))
        atomic.write_json(self.folder / "runs.json", {"runs": dict(sorted(self.runs.items()))})

    def outputs(self, concept: str, arm: str) -> list[np.ndarray]:
        if (concept, arm) in self.shown:
            return self.shown[(concept, arm)]
        strip = np.asarray(Image.open(self.folder / f"{concept}_{arm}.jpg").convert("RGB"))
        return list(np.split(strip, strip.shape[1] // strip.shape[0], axis=1))

    def measured(self, runs: list[dict] | None = None) -> tuple[str, str]:
        """The first and last time one of `runs` (default: every stored run) finished."""
        stamps = sorted(r["measured"] for r in (self.runs.values() if runs is None else runs) if "measured" in r)
        return (stamps[0], stamps[-1]) if stamps else ("", "")
