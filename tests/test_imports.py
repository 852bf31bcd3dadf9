"""`import e2gan` and `import studio` load no model, start no thread and touch no network."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import socket, sys, threading
def refuse(*a, **k):
    raise SystemExit("network touched at import")
socket.socket.connect = refuse
socket.create_connection = refuse
threads = threading.active_count()
import e2gan, studio, studio.app, e2gan.cli, e2gan.project, e2gan.sources
assert threading.active_count() == threads, [t.name for t in threading.enumerate()]
heavy = [m for m in ("torch", "diffusers", "transformers", "open_clip", "onnxruntime", "skimage") if m in sys.modules]
assert not heavy, heavy
print("ok")
"""


def test_imports_are_light():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


RUN_ONLY = """
import sys
import numpy as np
from e2gan.project import ProjectStore
from e2gan.runtime import load_run_filter
pack = load_run_filter(ProjectStore(sys.argv[1]).open(sys.argv[2]))
frame = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
out = pack(frame)
assert out.shape == frame.shape and out.dtype == np.uint8
import e2gan.export.build, e2gan.export.serve, e2gan.evaluate  # exporting and judging a filter need no trainer either
training = [m for m in ("e2gan.train", "e2gan.finetune", "e2gan.models.discriminator", "e2gan.losses", "e2gan.callbacks") if m in sys.modules]
assert not training, training
print("ok")
"""


def test_running_a_filter_loads_no_training_code(trained_project):
    """An app that only runs filters (the runtime, exports, evaluation) never imports the trainer or the discriminator."""
    args = [sys.executable, "-c", RUN_ONLY, str(trained_project.root.parent), trained_project.root.name]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
