"""Decode any image a user may hand us into clean 8-bit RGB, or refuse it with a reason.

Users drop in phone photos (EXIF-rotated), scans (16-bit, CMYK), screenshots (alpha), GIFs, and
sometimes things that are not images at all. Every image entering the pipeline passes through
`decode_image`, which either returns an RGB picture plus notes on what was converted, or raises
`ImageRejected` with a message meant for the user. Nothing here changes global PIL settings.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # 40 MP: bigger than any camera photo we need, far below a decompression bomb
MIN_SIDE = 32  # below this there is nothing to learn from
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ASPECT = 20  # long side / short side; a panorama is ~10, a 32x1,000,000 strip would need GBs to resize
# Only these Pillow decoders ever run: never EPS/PostScript (it starts Ghostscript, an external program that
# executes the file) nor any other plugin a renamed file could select by its first bytes.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens multi-picture (MPO) files
CROP_POLICIES = ("center", "random", "none")


class ImageRejected(ValueError):
    """The input can't be used as an image; str(e) is the reason shown to the user."""


def decode_image(data: bytes) -> tuple[Image.Image, list[str]]:
    """Decode bytes to an RGB image with EXIF orientation applied; returns (image, notes)."""
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected(f"file too large ({len(data) / 2**20:.0f} MB; limit {MAX_FILE_BYTES // 2**20} MB)")
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            Image.init()  # registers every plugin's name (opening nothing), so FORMATS can name them
            img = Image.open(io.BytesIO(data), formats=FORMATS)
        except UnidentifiedImageError:
            raise ImageRejected(f"not an image in a supported format ({', '.join(FORMATS)})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("refused: image dimensions are absurdly large (decompression bomb?)") from None
        except Exception as e:  # PIL raises many types on garbage headers
            raise ImageRejected(f"unreadable image header ({type(e).__name__}: {e})") from None
        _check_dimensions(img.size)
        if getattr(img, "n_frames", 1) > 1:
            notes.append(f"animated ({img.n_frames} frames): used the first frame")
            img.seek(0)
        try:
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("refused: image dimensions are absurdly large (decompression bomb?)") from None
        except Exception as e:
            raise ImageRejected(f"corrupt or truncated image ({e})") from None
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:
        notes.append("EXIF orientation unreadable: used the image as stored")
    _check_dimensions(img.size)
    return to_rgb(img, notes), notes


def _check_dimensions(size: tuple[int, int]) -> None:
    w, h = size
    if w * h > MAX_PIXELS:
        raise ImageRejected(
            f"too large: {w}x{h} ({w * h / 1e6:.0f} MP; limit {MAX_PIXELS / 1e6:.0f} MP), "
            "possibly a decompression bomb"
        )
    if min(w, h) < MIN_SIDE:
        raise ImageRejected(f"too small: {w}x{h}; images need at least {MIN_SIDE} px on each side")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise ImageRejected(f"too elongated: {w}x{h}; the long side may be at most {MAX_ASPECT}x the short side")


def to_rgb(img: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is flattened onto white."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        notes.append(f"high bit depth ({mode}) scaled to 8-bit")
        return Image.fromarray(_to_uint8(np.asarray(img)), "L").convert("RGB")
    if mode == "P" and "transparency" in img.info or mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("transparency flattened onto white")
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "CMYK":
        notes.append("CMYK converted to RGB")
    elif mode in ("L", "1"):
        notes.append("greyscale converted to RGB")
    return img.convert("RGB")


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    arr = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    hi = arr.max() if arr.size else 0.0
    if hi <= 255:
        scale = 1.0 if hi > 1.0 else 255.0  # float images in [0, 1]
    else:
        scale = 255.0 / (65535.0 if hi <= 65535 else hi)
    return np.clip(arr * scale, 0, 255).round().astype(np.uint8)


def pixel_hash(img: Image.Image) -> str:
    """Content hash of the decoded pixels: the same picture in another file format hashes the same."""
    h = hashlib.sha256()
    h.update(f"{img.size[0]}x{img.size[1]}".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def normalise(img: Image.Image, resolution: int, crop: str = "center", seed: int = 0) -> Image.Image:
    """Resize so the short side equals `resolution`; then crop to a square (center/random) or not (none)."""
    if crop not in CROP_POLICIES:
        raise ValueError(f"crop must be one of {CROP_POLICIES}, not {crop!r}")
    w, h = img.size
    scale = resolution / min(w, h)
    size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
    img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if crop == "none":
        return img
    w, h = img.size
    if crop == "center":
        left, top = (w - resolution) // 2, (h - resolution) // 2
    else:
        rng = np.random.default_rng(seed)
        left, top = int(rng.integers(0, w - resolution + 1)), int(rng.integers(0, h - resolution + 1))
    return img.crop((left, top, left + resolution, top + resolution))


def read_file(path: str | Path) -> bytes:
    """A file's bytes, refused before reading when it is not a regular file (a FIFO or /dev/zero would block
    or never end) or is larger than any image we accept."""
    path = Path(path)
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ImageRejected("not a regular file (a device, pipe or socket): skipped")
    if info.st_size > MAX_FILE_BYTES:
        raise ImageRejected(f"file too large ({info.st_size / 2**20:.0f} MB; limit {MAX_FILE_BYTES // 2**20} MB)")
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected(f"file too large (over {MAX_FILE_BYTES // 2**20} MB)")
    return data


def load_rgb(path: str | Path) -> Image.Image:
    """Load an image file as RGB, raising `ImageRejected` with the file's name on failure."""
    try:
        img, _ = decode_image(read_file(path))
    except ImageRejected as e:
        raise ImageRejected(f"{Path(path).name}: {e}") from None
    return img


def to_array(img: Image.Image) -> np.ndarray:
    """PIL RGB → uint8 (H, W, 3)."""
    return np.asarray(img.convert("RGB"), dtype=np.uint8)
