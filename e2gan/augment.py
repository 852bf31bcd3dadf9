"""Augment before teaching: vary the *photo*, then let the teacher edit it, so every pair is a true before/after.

Augmenting a finished pair (cropping or recolouring photo and edit alike) is wrong for most edits: a
brighter photo does not give a brighter sketch, and an edit with a fixed grid or vignette (pixel art, old
photo) would be cut off-grid. Here the random scale, crop, flip and exposure/contrast/saturation change
happen to the photo first; the teacher then edits the result, at the pixel scale the filter will run at.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def augment_photo(img: Image.Image, size: int, rng: np.random.Generator, min_scale: float = 0.5) -> Image.Image:
    """A random square view of `img`, `size` px: crop of 50–100% of the short side, flip, relit."""
    w, h = img.size
    side = int(min(w, h) * rng.uniform(min_scale, 1.0))
    left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    view = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    if rng.random() < 0.5:
        view = ImageOps.mirror(view)
    view = ImageEnhance.Brightness(view).enhance(rng.uniform(0.65, 1.3))
    view = ImageEnhance.Contrast(view).enhance(rng.uniform(0.7, 1.3))
    return ImageEnhance.Color(view).enhance(rng.uniform(0.6, 1.3))
