"""Put an edit made at the filter's pixel scale onto a camera frame at full resolution, without upscaling blur.

A filter runs at the pixel scale it learned (say 256 px on the short side); a webcam delivers 720 or 1080.
Upscaling the filter's output blurs it; adding back the frame's fine detail everywhere would paint photo
texture over edits that remove it (pixel art, flat cartoon colours). So the detail is added where, and as
strongly as, the edit itself passes its input's structure through:

    out = up(edit) + up(gain) · (frame_lum − up(small_lum))

`gain` is the local linear response of each output channel to the input's luminance (a guided filter's
slope, He et al. 2010), measured on the small frame: ~1 where the edit keeps the photo's structure (night,
old photo), ~0 where it replaces it (flat panes, pixel blocks), negative where it inverts it.
"""

from __future__ import annotations

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def local_gain(small: np.ndarray, edit: np.ndarray, radius: int = 2, eps: float = 1e-3) -> np.ndarray:
    """(h, w, 3) slope of each edit channel against the small frame's luminance, both float in [0, 1]."""
    import cv2

    k = (2 * radius + 1, 2 * radius + 1)
    box = lambda a: cv2.boxFilter(a, -1, k, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    lum = small @ LUMA
    mean_l = box(lum)
    var_l = box(lum * lum) - mean_l * mean_l
    mean_e = box(edit)
    cov = box(edit * lum[..., None]) - mean_e * mean_l[..., None]
    return box(cov / (var_l[..., None] + eps))


def compose(frame: np.ndarray, small: np.ndarray, edit: np.ndarray) -> np.ndarray:
    """uint8 full frame (H, W, 3), uint8 small frame and its uint8 edit (h, w, 3) → uint8 (H, W, 3).

    Runs on every camera frame: the full-resolution work is OpenCV resizes and in-place arithmetic on
    contiguous arrays (about 3x cheaper than the same formula written with NumPy slices)."""
    import cv2

    H, W = frame.shape[:2]
    small_f, edit_f = small.astype(np.float32) / 255.0, edit.astype(np.float32) / 255.0
    up = lambda a: cv2.resize(a, (W, H), interpolation=cv2.INTER_LINEAR)  # noqa: E731
    detail = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32) * (1.0 / 255.0)
    detail -= up(np.ascontiguousarray(small_f @ LUMA))
    out = up(local_gain(small_f, edit_f))
    out *= detail[..., None]
    out += up(edit_f)
    return cv2.convertScaleAbs(cv2.max(out, 0.0), alpha=255.0)  # negative → 0 first: the conversion takes |x|
