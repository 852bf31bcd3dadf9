"""Finished benchmark runs kept across invocations (results/<name>_runs/), so that arms measured hours or
sessions apart on a CPU publish together, and a stopped benchmark resumes where it stopped.

A run is stored under (concept, arm, seed) with a fingerprint of everything that decides its result (the
arm's settings, the base weights, the judging set, the device and precision); a run whose fingerprint no
longer matches what would run now is ignored, so a changed preset or a re-trained base can never publish an
old number. Each run also keeps the parts its fingerprint was made from, so a run that stops matching says
why (a machine whose CPU has no native bf16 trains in fp32: another result, not the same one slower). The
first seed's outputs on the first few judging crops are kept as a JPEG strip for the grids.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

SHOWN = 6  # judging crops kept per (concept, arm) for the grids


def fingerprint(parts: dict) -> str:
    """A short stable hash of the JSON-able settings that decide a run's result."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Key:
    """What decides a run's result (JSON-able parts; a part may be another Key, hashed as its digest)."""

    parts: dict

    @property
    def digest(self) -> str:
        return fingerprint({k: v.digest if isinstance(v, Key) else v for k, v in self.parts.items()})

    def explained(self) -> dict:
        """The parts as stored beside a run, nested keys spelled out."""
        return json.loads(json.dumps({k: v.explained() if isinstance(v, Key) else v for k, v in self.parts.items()}, default=str))


def differences(old: dict, new: dict, path: str = "") -> list[str]:
    """`part: old → new` for every leaf that differs between two explained keys."""
    out = []
    for k in sorted(set(old) | set(new)):
        a, b, name = old.get(k), new.get(k), f"{path}{k}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, name + ".")
        elif a != b:
            out.append(f"{name}: {a!r} → {b!r}")
    return out


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

    def get(self, concept: str, arm: str, seed: int, key: Key | None) -> dict | None:
        """None also where nothing can match (`key` None: the arm's base is not trained yet)."""
        run = self.runs.get(f"{concept}/{arm}/{seed}")
        return run if run is not None and key is not None and run.get("fingerprint") == key.digest else None

    def seeds(self, concept: str, arm: str, key: Key | None) -> list[dict]:
        """The stored runs of an arm with this fingerprint, in seed order (seeds 0, 1, ... without gaps)."""
        out = []
        while (run := self.get(concept, arm, len(out), key)) is not None:
            out.append(run)
        return out

    def stale(self, concept: str, arm: str, key: Key | None) -> str | None:
        """Why the stored runs of an arm that no longer match `key` do not count (None if there are none)."""
        if key is None:
            return "its base is not trained yet"
        old = [r for name, r in self.runs.items() if name.rsplit("/", 1)[0] == f"{concept}/{arm}" and r.get("fingerprint") != key.digest]
        if not old:
            return None
        runs = f"{len(old)} stored run{'s' if len(old) > 1 else ''} measured {old[0].get('measured', '?')}"
        if "decided_by" not in old[0]:
            return f"{runs}: stored before runs kept what decided them"
        return f"{runs}: " + "; ".join(differences(old[0]["decided_by"], key.explained()) or ["another fingerprint"])

    def put(self, concept: str, arm: str, seed: int, key: Key, run: dict, outputs: list[np.ndarray] | None) -> None:
        stamp = {"fingerprint": key.digest, "decided_by": key.explained(), "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
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
