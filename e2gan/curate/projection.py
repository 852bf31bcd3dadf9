"""A 2-D map of the pairs: UMAP, or PCA for very small sets; cached, since it doesn't depend on K.

UMAP's first fit in a process compiles its numba kernels (~15 s on a laptop CPU); callers show progress.
"""

from __future__ import annotations

import hashlib

import numpy as np

from e2gan import atomic
from e2gan.project import Project

UMAP_MIN_POINTS = 15


def project_2d(project: Project, ids: list[str], vectors: np.ndarray, key: str, seed: int = 0) -> np.ndarray:
    """(N, 2) coordinates, reused from `curate/map-*.json` when the same pairs were mapped before."""
    digest = hashlib.sha1(("|".join(ids) + key).encode() + vectors.tobytes()).hexdigest()[:16]
    path = project.curate_dir / "map.json"
    try:
        cached = atomic.read_json(path)
        if cached["digest"] == digest:
            return np.asarray(cached["coords"], np.float32)
    except (OSError, ValueError, KeyError):
        pass
    coords = embed_2d(vectors, seed)
    atomic.write_json(path, {"digest": digest, "ids": ids, "coords": coords.round(5).tolist()})
    return coords


def embed_2d(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    n = len(vectors)
    if n < 3:
        return np.stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)], axis=1)
    if n < UMAP_MIN_POINTS:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(vectors).astype(np.float32)
    import umap

    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, n - 1), min_dist=0.1, random_state=seed, n_jobs=1)
    return reducer.fit_transform(vectors).astype(np.float32)
