"""The built-in images: photos bundled inside installed packages, so the studio works offline.

scikit-image ships a dozen test images (`skimage.data`), scikit-learn two photos (`load_sample_images`) and
gradio a few example photos (`gradio/media_assets/images`). Only images that ship inside the wheels are
listed: the rest of `skimage.data` needs a download.

They are split once, here, for every user of them:
- `JUDGING` photos are never trained on, not by the shipped base nor by the benchmarks: they are the
  held-out photographs every quality number in BENCHMARKS.md is measured on.
- Everything else (`iter_samples`) is the sample set a project can start from, and what the shipped base
  and the benchmarks train on; `kind` says whether an image is a photograph, a texture or a scientific image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Sample:
    name: str
    package: str  # skimage | sklearn | gradio
    kind: str  # photo | texture | scientific
    licence: str


SAMPLES = (
    Sample("astronaut", "skimage", "photo", "public domain (NASA)"),
    Sample("camera", "skimage", "photo", "public domain (scikit-image)"),
    Sample("clock", "skimage", "photo", "CC0 (scikit-image)"),
    Sample("cheetah", "gradio", "photo", "Apache-2.0 (shipped with gradio)"),
    Sample("cheetah1", "gradio", "photo", "Apache-2.0 (shipped with gradio)"),
    Sample("hubble_deep_field", "skimage", "scientific", "public domain (NASA)"),
    Sample("immunohistochemistry", "skimage", "scientific", "public domain (scikit-image)"),
    Sample("retina", "skimage", "scientific", "CC0 (scikit-image)"),
    Sample("colorwheel", "skimage", "scientific", "CC0 (scikit-image)"),
    Sample("moon", "skimage", "scientific", "public domain (scikit-image)"),
    Sample("coins", "skimage", "texture", "public domain (Walters Art Museum)"),
    Sample("brick", "skimage", "texture", "CC0 (scikit-image)"),
    Sample("grass", "skimage", "texture", "CC0 (scikit-image)"),
    Sample("gravel", "skimage", "texture", "CC0 (scikit-image)"),
)
JUDGING = (
    Sample("chelsea", "skimage", "photo", "CC0 (Stefan van der Walt)"),
    Sample("coffee", "skimage", "photo", "CC0 (Rachel Michetti)"),
    Sample("rocket", "skimage", "photo", "public domain (SpaceX)"),
    Sample("stereo_motorcycle", "skimage", "photo", "Middlebury stereo data set (research use)"),
    Sample("china", "sklearn", "photo", "CC-BY (scikit-learn sample images)"),
    Sample("flower", "sklearn", "photo", "CC-BY (scikit-learn sample images)"),
    Sample("lion", "gradio", "photo", "Apache-2.0 (shipped with gradio)"),
    Sample("tower", "gradio", "photo", "Apache-2.0 (shipped with gradio)"),
)


def sample_names() -> tuple[str, ...]:
    return tuple(s.name for s in SAMPLES)


def iter_samples() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield (filename, loader) pairs of the sample set; each loader returns PNG bytes of one image."""
    for sample in SAMPLES:
        yield f"{sample.name}.png", _loader(sample)


def iter_judging() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """The held-out photographs every quality benchmark judges on (never trained on)."""
    for sample in JUDGING:
        yield f"{sample.name}.png", _loader(sample)


def _loader(sample: Sample) -> Callable[[], bytes]:
    def load() -> bytes:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(_array(sample))).save(buf, format="PNG")
        return buf.getvalue()

    return load


def _array(sample: Sample) -> np.ndarray:
    if sample.package == "skimage":
        from skimage import data

        img = getattr(data, sample.name)()
        return img[0] if isinstance(img, tuple) else img  # stereo_motorcycle → (left, right, disparity)
    if sample.package == "sklearn":
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{sample.name}.jpg")
    from importlib.util import find_spec

    folder = Path(find_spec("gradio").origin).parent / "media_assets" / "images"  # no import: gradio is heavy
    return np.asarray(Image.open(next(folder.glob(f"{sample.name}.*"))).convert("RGB"))
