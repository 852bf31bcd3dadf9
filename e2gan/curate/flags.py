"""Flag pairs that are probably failed edits, so the curator sees them first and they don't train.

- no visible change: the teacher's output is (almost) the input — mean pixel change under 1.5/255, or
  embeddings nearly identical;
- content destroyed: input and output share almost no structure (edge maps correlate below 0.05 at a fine and
  at a coarse scale, and an embedding similarity far below the set's typical one);
- outlier: the edit vector is unlike the rest (robust z-score of its distance to the median edit > 5).
Thresholds are ours, chosen on the built-in teachers; every score is kept so the UI can show it.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from e2gan.curate.features import PairFeatures
from e2gan.pairs import Pair
from e2gan.project import Project

NO_CHANGE_PIXELS = 1.5 / 255
NO_CHANGE_COSINE = 0.999
DESTROYED_EDGE_CORR = 0.05
OUTLIER_Z = 5.0  # robust z over a small set spreads wide: real watercolours of the sample photos reach 3.9, a negative 8.6


def flag_pairs(
    project: Project, pairs: list[Pair], features: PairFeatures, pixel_cache: dict[str, list[float]] | None = None
) -> dict[str, dict]:
    """{pair id: {"flags": [...], "change", "structure", "similarity", "outlier_z"}}.

    `pixel_cache` (pair id + teacher key → pixel scores) is filled and reused: only new pairs are read.
    """
    pixel_cache = {} if pixel_cache is None else pixel_cache
    similarity = np.sum(features.input * features.output, axis=1)
    edit = features.edit
    dist = np.linalg.norm(edit - np.median(edit, axis=0), axis=1) if len(edit) else np.zeros(0)
    mad = np.median(np.abs(dist - np.median(dist))) + 1e-8 if len(dist) else 1.0
    z = 0.6745 * (dist - np.median(dist)) / mad if len(dist) else dist
    typical = np.median(similarity) if len(similarity) else 1.0
    spread = np.median(np.abs(similarity - typical)) + 1e-6 if len(similarity) else 1.0
    out = {}
    for i, pair in enumerate(pairs):
        key = f"{pair.id}:{pair.teacher_key}"
        if key not in pixel_cache:
            pixel_cache[key] = list(_pixel_scores(project, pair))
        change, structure = pixel_cache[key]
        flags = []
        if change < NO_CHANGE_PIXELS or similarity[i] > NO_CHANGE_COSINE:
            flags.append("no visible change")
        elif structure < DESTROYED_EDGE_CORR and similarity[i] < typical - 2 * spread:
            flags.append("content destroyed")
        if len(pairs) >= 8 and z[i] > OUTLIER_Z and "no visible change" not in flags:
            flags.append("outlier edit")
        out[pair.id] = {
            "flags": flags,
            "change": round(float(change), 5),
            "structure": round(float(structure), 4),
            "similarity": round(float(similarity[i]), 4),
            "outlier_z": round(float(z[i]), 2),
        }
    return out


def _pixel_scores(project: Project, pair: Pair) -> tuple[float, float]:
    """Mean absolute pixel change (0–1) and how much structure survives (−1–1), at 128 px: the better of the
    edge maps' correlations at a fine and a coarse scale, so a painterly edit that drops fine texture but
    keeps the shapes counts as kept."""
    ca, cb = (np.asarray(Image.open(project.root / f).convert("RGB").resize((128, 128)), np.float32) / 255 for f in (pair.source, pair.target))
    change = float(np.abs(ca - cb).mean())
    a, b = (cv2.cvtColor(c, cv2.COLOR_RGB2GRAY) for c in (ca, cb))
    return change, max(_edge_correlation(a, b, 1.0), _edge_correlation(a, b, 3.0))


def _edge_correlation(a: np.ndarray, b: np.ndarray, sigma: float) -> float:
    return _correlation(*(np.abs(cv2.Laplacian(cv2.GaussianBlur(x, (0, 0), sigma), cv2.CV_32F)) for x in (a, b)))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel(), b.ravel()
    if a.std() < 1e-6 or b.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
