"""Filtering a video through the command line: same frame count, rate and size, the audio kept, frames
changed by the filter, and a flicker measure printed."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from e2gan.video import filter_video

ROOT = Path(__file__).resolve().parents[1]
FRAMES, FPS, SIZE = 12, 10, (96, 64)


def make_clip(path: Path, audio: bool = True, size: tuple[int, int] = SIZE) -> list[np.ndarray]:
    """A short clip: a gradient that drifts right, with a 440 Hz tone when `audio`."""
    import av

    frames = []
    with av.open(str(path), "w") as out:
        v = out.add_stream("mpeg4" if size[0] % 2 or size[1] % 2 else "libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        a = out.add_stream("aac", rate=44100) if audio else None
        x = np.linspace(0, 255, size[0])
        for i in range(FRAMES):
            row = np.roll(x, 3 * i).astype(np.uint8)
            img = np.stack([np.tile(row, (size[1], 1)), np.full((size[1], size[0]), 90, np.uint8), np.tile(row[::-1], (size[1], 1))], -1)
            frames.append(img)
            out.mux(v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(v.encode())
        if a is not None:
            t = np.arange(int(44100 * FRAMES / FPS)) / 44100
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for start in range(0, tone.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, start : start + 1024]), format="fltp", layout="mono")
                frame.sample_rate = 44100
                out.mux(a.encode(frame))
            out.mux(a.encode())
    return frames


def read_clip(path: Path) -> tuple[list[np.ndarray], Fraction, bool]:
    import av

    with av.open(str(path)) as c:
        rate = c.streams.video[0].average_rate
        has_audio = bool(c.streams.audio)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return frames, rate, has_audio


def test_the_cli_filters_a_clip_keeping_rate_size_and_audio(trained_project, tmp_path):
    clip = tmp_path / "clip.mp4"
    originals = make_clip(clip)
    cmd = [sys.executable, "-m", "e2gan.cli", "--projects", str(trained_project.root.parent), "apply", trained_project.root.name, str(clip), "--out", str(tmp_path / "out")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "12 frames at 10.00 fps" in done.stdout and "audio kept" in done.stdout and "flicker" in done.stdout
    frames, rate, has_audio = read_clip(tmp_path / "out" / "clip.mp4")
    assert len(frames) == FRAMES and rate == FPS and has_audio
    assert frames[0].shape == (SIZE[1], SIZE[0], 3)
    assert np.abs(frames[5].astype(int) - originals[5].astype(int)).mean() > 5  # the filter changed the frames


def test_smoothing_lowers_flicker_and_silent_clips_work(tmp_path):
    clip = tmp_path / "silent.mp4"
    make_clip(clip, audio=False)
    rng = np.random.default_rng(0)
    noisy = lambda img: np.clip(img.astype(int) + rng.integers(-40, 40, img.shape), 0, 255).astype(np.uint8)  # noqa: E731
    plain = filter_video(clip, tmp_path / "plain.mp4", noisy)
    steady = filter_video(clip, tmp_path / "steady.mkv", noisy, smoothing=0.7)
    assert not plain.audio and plain.frames == steady.frames == FRAMES
    assert plain.flicker > 1.5 and steady.flicker < plain.flicker


@pytest.mark.parametrize("content, message", [(b"not a video at all", "not a readable video")])
def test_a_file_that_is_not_a_video_gets_a_message(tmp_path, content, message):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        filter_video(bad, tmp_path / "out.mp4", lambda x: x)
    assert not (tmp_path / "out.mp4").exists()


def test_odd_frame_sizes_and_overwriting_the_input(trained_project, tmp_path):
    clip = tmp_path / "odd.avi"
    make_clip(clip, audio=False, size=(97, 65))  # 4:2:0 video needs even sides: the output drops one pixel
    report = filter_video(clip, tmp_path / "odd-out.mp4", lambda x: x)
    assert report.size == (96, 64) and report.frames == FRAMES
    cmd = [sys.executable, "-m", "e2gan.cli", "--projects", str(trained_project.root.parent), "apply", trained_project.root.name, str(clip), "--out", str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2 and "would overwrite" in done.stderr and clip.stat().st_size > 0


def make_phone_clip(path: Path, times_ms: list[int], rotation: int) -> np.ndarray:
    """A clip as phones store it: frames sideways with a display rotation, at a variable frame rate. The
    stored frame has a white band on its left; upright (turned `rotation` degrees counter-clockwise) that
    band is at the bottom for 90."""
    import av

    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :16] = 255
    ms = Fraction(1, 1000)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = 64, 32, "yuv420p"
        v.time_base = v.codec_context.time_base = ms
        v.set_display_rotation(rotation)
        for t in times_ms:
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.pts, frame.time_base = t, ms
            out.mux(v.encode(frame))
        out.mux(v.encode())
    return stored


def test_phone_clips_come_out_upright_and_keep_their_timing(tmp_path):
    import av

    times = [0, 33, 50, 120, 200, 210, 400, 433]  # a variable frame rate, as phones record
    stored = make_phone_clip(tmp_path / "phone.mp4", times, rotation=90)
    seen = []
    report = filter_video(tmp_path / "phone.mp4", tmp_path / "out.mp4", lambda x: seen.append(x) or x)
    upright = np.rot90(stored, 1)
    assert seen[0].shape == upright.shape == (64, 32, 3) and report.size == (32, 64)
    assert np.abs(seen[0].astype(int) - upright).mean() < 8  # the filter saw the upright frame
    with av.open(str(tmp_path / "out.mp4")) as c:
        frames = list(c.decode(video=0))
    assert [round(f.time * 1000) for f in frames] == times  # each frame at its own time, not re-timed to 30 fps
    assert all(f.rotation == 0 for f in frames)  # written upright: players must not turn it again
    assert frames[0].to_ndarray(format="rgb24")[-4:, :, 0].mean() > 200  # the band is at the bottom
