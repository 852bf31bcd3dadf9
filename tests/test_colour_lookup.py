"""The colour-lookup floor: exact on a pure colour mapping, sensible on colours it never saw."""

from __future__ import annotations

import numpy as np

from e2gan.colour_lookup import ColourLookup


def test_a_pure_colour_mapping_is_learned_in_closed_form():
    rng = np.random.default_rng(0)
    src = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    sepia = lambda x: np.clip(x.astype(np.float32) @ np.array([[0.39, 0.77, 0.19], [0.35, 0.69, 0.17], [0.27, 0.53, 0.13]]).T, 0, 255).astype(np.uint8)  # noqa: E731
    lookup = ColourLookup.fit(src, [sepia(s) for s in src], bins=32)
    test = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert np.abs(lookup(test).astype(int) - sepia(test).astype(int)).mean() < 6


def test_unseen_colours_fall_back_to_the_fitted_polynomial():
    dark = [np.full((8, 8, 3), v, np.uint8) for v in range(0, 100, 5)]
    lookup = ColourLookup.fit(dark, [255 - d for d in dark])  # inversion, seen only on dark greys
    light = np.full((4, 4, 3), 200, np.uint8)
    assert abs(int(lookup(light).mean()) - 55) < 25  # extrapolated, not left black
