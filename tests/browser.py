"""Browser-test fixtures: a real studio server in a subprocess and headless Debian Chromium via Playwright.

A browser test is skipped when no `chromium` is installed, except in CI (`E2GAN_REQUIRE_BROWSER=1`),
where that is a failure. The fake camera flags let webcam tests feed real frames.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")


class StudioServer:
    """`python launch.py` in a subprocess, on a free port, over a given projects folder."""

    def __init__(self, projects: Path, log: Path, extra_args: tuple[str, ...] = ()):
        self.projects, self.log_path, self.extra_args = projects, log, extra_args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "StudioServer":
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if not os.environ.get("E2GAN_SCREENSHOTS"):  # the README's pictures show the real presets
            env["E2GAN_PRESETS"] = str(ROOT / "tests" / "presets.json")
        self._log = open(self.log_path, "ab")
        args = [sys.executable, "launch.py", "--no-browser", "--port", str(self.port), "--projects", str(self.projects)]
        self.proc = subprocess.Popen(args + list(self.extra_args), cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(self.url, self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"studio did not start:\n{self.log_path.read_text()[-3000:]}") from None
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def studio_server(tmp_path):
    server = StudioServer(tmp_path / "projects", tmp_path / "studio.log").start()
    yield server
    server.stop()


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("E2GAN_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["camera"])
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=20_000)  # a loaded CI machine can take more than 5 s to update a page
    yield pg
    context.close()
