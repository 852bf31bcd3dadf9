"""Composing a pixel-scale edit onto a camera-size frame: sharp where the edit keeps the photo, flat where not."""

from __future__ import annotations

import cv2
import numpy as np

from e2gan.compose import compose


def frame(size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3)).astype(np.float32), (0, 0), 6)
    fine = rng.normal(0, 25, (size, size, 1)).astype(np.float32)  # detail only the full frame has
    return np.clip(base * 1.8 - 100 + fine, 0, 255).astype(np.uint8)


def small_of(big: np.ndarray, size: int = 64) -> np.ndarray:
    return cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)


def detail(img: np.ndarray) -> float:
    return float(np.abs(cv2.Laplacian(img.astype(np.float32).mean(2), cv2.CV_32F)).mean())


def test_an_edit_that_keeps_the_photo_stays_as_sharp_as_the_frame():
    big = frame()
    small = small_of(big)
    dimmed = (small * 0.7).astype(np.uint8)  # "night": the photo's structure, darker
    out = compose(big, small, dimmed)
    plain = cv2.resize(dimmed, big.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    assert detail(out) > 3 * detail(plain)  # upscaling alone is blurred
    assert abs(out.mean() - 0.7 * big.mean()) < 6  # and it is still the dimmed edit


def test_an_edit_that_replaces_the_photo_gets_no_photo_texture():
    big = frame()
    small = small_of(big)
    flat = np.zeros_like(small)
    flat[:, :32], flat[:, 32:] = (200, 40, 40), (40, 40, 200)  # two flat panes, unrelated to the photo
    out = compose(big, small, flat)
    plain = cv2.resize(flat, big.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    assert np.abs(out.astype(int) - plain.astype(int)).mean() < 3
