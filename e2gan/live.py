"""The live view's per-frame work, shared by the Try tab and the runtime benchmark: filter a camera frame
and lay out before | after (or a wipe), and count frames per second for each viewer."""

from __future__ import annotations

import time

import numpy as np

LAYOUTS = ("side", "wipe")


def layout(before: np.ndarray, after: np.ndarray, mode: str) -> np.ndarray:
    """Side by side, or a wipe: the left half before, the right half after, a white line between."""
    if mode == "wipe":
        out = after.copy()
        mid = out.shape[1] // 2
        out[:, :mid] = before[:, :mid]
        out[:, max(mid - 1, 0) : mid + 1] = 255
        return out
    return np.concatenate([before, after], axis=1)


def live_frame(runner, frame: np.ndarray, mode: str = "side") -> np.ndarray:
    """One webcam frame through a filter (resize, network, compose: `e2gan.runtime`), laid out for the page."""
    frame = np.ascontiguousarray(frame[..., :3])
    return layout(frame, runner(frame), mode)


class FpsMeter:
    """Frames per second of a stream, per viewer (smoothed)."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.fps: dict[str, float] = {}

    def tick(self, session: str) -> float:
        now = time.monotonic()
        if session in self.last:
            rate = 1.0 / max(now - self.last[session], 1e-6)
            self.fps[session] = 0.8 * self.fps.get(session, rate) + 0.2 * rate
        self.last[session] = now
        return self.fps.get(session, 0.0)
