"""The built-in sample set: photos bundled inside installed packages, so the studio works offline.

scikit-image ships a dozen test photographs (`skimage.data`) and scikit-learn two more
(`load_sample_images`). Only images that ship inside the wheels are listed: the rest of
`skimage.data` needs a download.
"""

from __future__ import annotations

import io
from typing import Callable, Iterator

import numpy as np
from PIL import Image

# name → skimage.data function; colour photographs first, then greyscale and textures.
SKIMAGE_SAMPLES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "stereo_motorcycle",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "camera",
    "moon",
    "coins",
    "clock",
    "brick",
    "grass",
    "gravel",
)
SKLEARN_SAMPLES = ("china", "flower")


def sample_names() -> tuple[str, ...]:
    return SKIMAGE_SAMPLES + SKLEARN_SAMPLES


def iter_samples() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield (filename, loader) pairs; each loader returns PNG bytes of one sample photo."""
    for name in SKIMAGE_SAMPLES:
        yield f"{name}.png", _loader(lambda n=name: _skimage(n))
    for name in SKLEARN_SAMPLES:
        yield f"{name}.png", _loader(lambda n=name: _sklearn(n))


def _loader(get_array: Callable[[], np.ndarray]) -> Callable[[], bytes]:
    def load() -> bytes:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(get_array())).save(buf, format="PNG")
        return buf.getvalue()

    return load


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    img = getattr(data, name)()
    return img[0] if isinstance(img, tuple) else img  # stereo_motorcycle → (left, right, disparity)


def _sklearn(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(f"{name}.jpg")
