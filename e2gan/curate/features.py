"""Pair-aware features: embeddings of the input, the teacher's output and the edit (output − input).

Embeddings are cached in `curate/embeddings-<embedder>.npz`, keyed by the source (for inputs) and by the
source plus the teacher's key (for outputs), so only new or regenerated pairs are embedded again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from e2gan import atomic
from e2gan.curate.embedders import load_embedder
from e2gan.pairs import Pair
from e2gan.progress import ProgressFn, Tracker
from e2gan.project import Project


@dataclass
class PairFeatures:
    ids: list[str]
    input: np.ndarray  # (N, D) unit vectors
    output: np.ndarray  # (N, D) unit vectors
    computed: int = 0  # how many images were embedded now (the rest came from the cache)

    @property
    def edit(self) -> np.ndarray:
        """What the teacher changed, in embedding space."""
        return self.output - self.input

    def vectors(self) -> np.ndarray:
        """The space pairs are clustered in: the input and the edit, equally weighted."""
        edit = self.edit / (np.linalg.norm(self.edit, axis=1, keepdims=True) + 1e-8)
        return np.concatenate([self.input, edit], axis=1)


def cache_path(project: Project, embedder: str) -> Path:
    return project.curate_dir / f"embeddings-{re.sub(r'[^A-Za-z0-9._-]+', '_', embedder)}.npz"


def pair_features(project: Project, pairs: list[Pair], embedder: str, progress: ProgressFn | None = None) -> PairFeatures:
    path = cache_path(project, embedder)
    cache = _load(path)
    wanted: dict[str, Path] = {}
    for p in pairs:
        wanted[f"in:{p.id}"] = project.root / p.source
        wanted[f"out:{p.id}:{p.teacher_key}"] = project.root / p.target
    missing = [k for k in wanted if k not in cache]
    if missing:
        model = load_embedder(embedder)
        tracker = Tracker("Embedding pairs", len(missing), progress)
        for start in range(0, len(missing), 32):
            keys = missing[start : start + 32]
            vectors = model.embed([Image.open(wanted[k]).convert("RGB") for k in keys])
            cache.update(zip(keys, vectors))
            tracker.advance(len(keys))
        _save(path, {k: cache[k] for k in wanted} | {k: v for k, v in cache.items() if k not in wanted})
    return PairFeatures(
        [p.id for p in pairs],
        np.stack([cache[f"in:{p.id}"] for p in pairs]) if pairs else np.zeros((0, 1), np.float32),
        np.stack([cache[f"out:{p.id}:{p.teacher_key}"] for p in pairs]) if pairs else np.zeros((0, 1), np.float32),
        computed=len(missing),
    )


def _load(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            return dict(zip(z["keys"].tolist(), z["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}  # a damaged cache is rebuilt


def _save(path: Path, cache: dict[str, np.ndarray]) -> None:
    keys = np.array(list(cache), dtype=str)
    vectors = np.stack(list(cache.values())).astype(np.float32)
    with atomic.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, keys=keys, vectors=vectors)
