"""Filter a video clip: every frame through a filter at the clip's own size and timing, the audio copied
as it is, written atomically; with a flicker measure, because a filter that is steady on one photo can
shimmer from frame to frame.

Phone clips need two things a plain decode loop gets wrong. They are stored sideways with a rotation in
their metadata, so frames are turned upright before the filter sees them (it learned on upright photos)
and written upright. And they have a variable frame rate, so every frame keeps its own timestamp instead of
being re-timed to the average rate, which would drift from the audio.

Flicker is the mean absolute change between consecutive output frames divided by the same for the input
frames: 1 means the filter adds no frame-to-frame change of its own, 2 means it doubles it. `smoothing`
blends each output frame with the previous one (an exponential moving average) to trade a little motion
blur for steadiness.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from e2gan import atomic
from e2gan.progress import ProgressFn, Tracker

VIDEO_SUFFIXES = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}
MAX_PIXELS = 3840 * 2160  # 4K frames; bigger is refused before decoding
FrameFilter = Callable[[np.ndarray], np.ndarray]  # uint8 (H, W, 3) → uint8 (H, W, 3)


@dataclass
class VideoReport:
    frames: int
    fps: float
    size: tuple[int, int]  # (width, height)
    audio: bool  # an audio track was copied
    flicker: float  # output frame-to-frame change / the input's (1 = none added)
    smoothing: float

    def summary(self) -> str:
        sound = "audio kept" if self.audio else "no audio track"
        return (f"{self.frames} frames at {self.fps:.2f} fps, {self.size[0]}x{self.size[1]}, {sound}; "
                f"flicker {self.flicker:.2f} (output frame-to-frame change / the input's; 1 = none added)")  # fmt: skip


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def filter_video(src: str | Path, dst: str | Path, filter_fn: FrameFilter, smoothing: float = 0.0, progress: ProgressFn | None = None) -> VideoReport:
    """Write `dst` (its suffix picks the container) with every frame of `src` filtered; the audio is copied."""
    import av

    if not 0.0 <= smoothing < 1.0:
        raise ValueError("smoothing must be in [0, 1)")
    dst = Path(dst)
    container_format = VIDEO_SUFFIXES.get(dst.suffix.lower())
    if container_format is None:
        raise ValueError(f"unsupported video file type {dst.suffix!r}; use one of {sorted(VIDEO_SUFFIXES)}")
    try:
        source = av.open(str(src))
    except (av.error.FFmpegError, OSError) as e:
        raise ValueError(f"{Path(src).name} is not a readable video ({e})") from None
    with source:
        if not source.streams.video:
            raise ValueError(f"{Path(src).name} has no video track")
        video_in = source.streams.video[0]
        audio_in = source.streams.audio[0] if source.streams.audio else None
        rate = video_in.average_rate or video_in.guessed_rate or 30
        turns = _quarter_turns(src)
        width, height = video_in.codec_context.width, video_in.codec_context.height
        if width * height > MAX_PIXELS or not width or not height:
            raise ValueError(f"{Path(src).name}: frames of {width}x{height} are not supported")
        if turns % 2:
            width, height = height, width
        width, height = width // 2 * 2, height // 2 * 2  # 4:2:0 needs even sides
        tracker = Tracker("Filtering video", video_in.frames or _frame_count(source, video_in, rate), progress)
        flicker = _Flicker()
        previous = None
        with atomic.atomic_path(dst) as tmp, av.open(str(tmp), "w", format=container_format) as out:
            video_out = out.add_stream(_codec(container_format), rate=rate)
            video_out.width, video_out.height = width, height
            video_out.pix_fmt = "yuv420p"
            clock = _Clock(video_in.time_base, rate)
            video_out.time_base = video_out.codec_context.time_base = clock.time_base
            audio_out = out.add_stream_from_template(audio_in) if audio_in is not None else None
            streams = [video_in] + ([audio_in] if audio_in is not None else [])
            for packet in source.demux(*streams):
                if packet.stream is audio_in:
                    if packet.dts is not None:  # the demuxer's flush packet has none
                        packet.stream = audio_out
                        out.mux(packet)
                    continue
                for frame in packet.decode():
                    image = np.rot90(frame.to_ndarray(format="rgb24"), turns)[:height, :width]
                    filtered = filter_fn(np.ascontiguousarray(image)).astype(np.float32)
                    if previous is not None and smoothing:
                        filtered = smoothing * previous + (1.0 - smoothing) * filtered
                    previous = filtered
                    result = np.clip(filtered + 0.5, 0, 255).astype(np.uint8)
                    flicker.add(image, result)
                    encoded = av.VideoFrame.from_ndarray(result, format="rgb24")
                    encoded.pts, encoded.time_base = clock.stamp(frame.pts), clock.time_base
                    out.mux(video_out.encode(encoded))
                    tracker.advance()
            out.mux(video_out.encode())  # flush the encoder
        size = (video_out.width, video_out.height)
    return VideoReport(flicker.frames, float(rate), size, audio_in is not None, flicker.ratio(), smoothing)


def _quarter_turns(src: str | Path) -> int:
    """Counter-clockwise quarter turns that make the clip's frames upright (its display rotation)."""
    import av

    with av.open(str(src)) as c:
        frame = next(c.decode(video=0), None)
    return round((frame.rotation if frame is not None else 0) / 90) % 4


class _Clock:
    """Output timestamps: each frame's own, kept strictly increasing (encoders refuse repeats); a frame
    without one gets the average rate's spacing. The source's time base is kept unless it is finer than
    MPEG-4 part 2 (the .avi codec) can store, then milliseconds."""

    def __init__(self, source, rate):
        rate = float(rate)
        self.source = source or Fraction(1, round(rate) or 30)
        self.time_base = self.source if self.source.denominator <= 65535 else Fraction(1, 1000)
        self.step = max(1, round(1 / (rate * self.time_base)))
        self.last: int | None = None

    def stamp(self, pts: int | None) -> int:
        if pts is None:
            out = 0 if self.last is None else self.last + self.step
        else:
            out = round(pts * self.source / self.time_base)
        if self.last is not None and out <= self.last:
            out = self.last + 1
        self.last = out
        return out


def _frame_count(source, video, rate) -> int:
    """Frames to expect when the container does not say (mkv, webm): duration x rate, for the progress bar."""
    seconds = float(video.duration * video.time_base) if video.duration and video.time_base else (source.duration or 0) / 1e6
    return max(1, round(seconds * float(rate)))


def _codec(container_format: str) -> str:
    return {"webm": "libvpx-vp9", "avi": "mpeg4"}.get(container_format, "libx264")


class _Flicker:
    """Sums of mean absolute frame-to-frame change of the input and of the output."""

    def __init__(self):
        self.frames, self.change_in, self.change_out = 0, 0.0, 0.0
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, image: np.ndarray, result: np.ndarray) -> None:
        image, result = image.astype(np.int16), result.astype(np.int16)
        if self.last is not None:
            self.change_in += float(np.abs(image - self.last[0]).mean())
            self.change_out += float(np.abs(result - self.last[1]).mean())
        self.last, self.frames = (image, result), self.frames + 1

    def ratio(self) -> float:
        return self.change_out / self.change_in if self.change_in > 0 else (0.0 if self.change_out == 0 else float("inf"))
