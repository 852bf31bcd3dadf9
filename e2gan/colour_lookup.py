"""A per-concept colour lookup fitted in closed form: the floor every learned filter must beat.

Many edits are mostly a change of colours ("night", "thermal", "old photo"). A 3D lookup table, one mean
output colour per cell of the input's RGB cube, fitted on the training pairs with no training loop at all,
captures every purely colour-to-colour part of an edit. Whatever a learned filter adds over it (strokes,
edges, textures, anything that depends on a pixel's neighbours) is what the network was worth training for.
Cells no training pixel reached fall back to a cubic polynomial colour transform fitted by least squares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


def _poly(rgb: np.ndarray) -> np.ndarray:
    """Cubic polynomial terms of (N, 3) colours in [0, 1]: (N, 20)."""
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    one = np.ones_like(r)
    terms = [one, r, g, b, r * r, g * g, b * b, r * g, r * b, g * b]
    terms += [r**3, g**3, b**3, r * r * g, r * r * b, g * g * r, g * g * b, b * b * r, b * b * g, r * g * b]
    return np.stack(terms, axis=1)


@dataclass
class ColourLookup:
    table: np.ndarray  # (bins, bins, bins, 3) output colour in [0, 1] for each input colour cell
    bins: int

    @classmethod
    def fit(cls, sources: Sequence[np.ndarray], targets: Sequence[np.ndarray], bins: int = 16) -> "ColourLookup":
        """Fit on uint8 (H, W, 3) before/after pairs."""
        x = np.concatenate([s.reshape(-1, 3) for s in sources]).astype(np.float64) / 255.0
        y = np.concatenate([t.reshape(-1, 3) for t in targets]).astype(np.float64) / 255.0
        cell = _cell(x, bins)
        counts = np.bincount(cell, minlength=bins**3)
        sums = np.stack([np.bincount(cell, weights=y[:, c], minlength=bins**3) for c in range(3)], axis=1)
        coef, *_ = np.linalg.lstsq(_poly(x), y, rcond=None)  # the fallback for unseen colours
        centres = (np.stack(np.meshgrid(*[np.arange(bins)] * 3, indexing="ij"), -1).reshape(-1, 3) + 0.5) / bins
        table = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], _poly(centres) @ coef)
        return cls(np.clip(table, 0, 1).reshape(bins, bins, bins, 3).astype(np.float32), bins)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """uint8 (H, W, 3) → uint8 (H, W, 3)."""
        x = image.reshape(-1, 3).astype(np.float64) / 255.0
        out = self.table.reshape(-1, 3)[_cell(x, self.bins)]
        return (out.reshape(image.shape) * 255.0 + 0.5).astype(np.uint8)


def _cell(x: np.ndarray, bins: int) -> np.ndarray:
    i = np.clip((x * bins).astype(np.int64), 0, bins - 1)
    return (i[:, 0] * bins + i[:, 1]) * bins + i[:, 2]
