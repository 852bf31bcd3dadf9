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
