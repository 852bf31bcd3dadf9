"""Under load: while a training run keeps the CPU busy, the studio still navigates and lists projects,
and a second tab asking for a second heavy job gets one clear "busy" answer, not a second run.

Latencies are printed, not asserted (timings here are noisy); what is asserted is that every answer
arrived while the run was still training, i.e. nothing queued behind it.
"""

from __future__ import annotations

import threading
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from playwright.sync_api import expect

from e2gan import sources
from e2gan.distill import distill
from e2gan.project import ProjectStore
from e2gan.runs import list_runs
from e2gan.teachers.offline import offline_spec
from tests.browser import StudioServer

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_studio(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    project = store.create("load", "make it a pencil sketch")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=128))
    distill(project, offline_spec("pencil_sketch"))
    store.create("another", "make it night time")
    server = StudioServer(store.root, tmp_path / "studio.log").start()
    yield server, project
    server.stop()


def run_state(project) -> str:
    runs = list_runs(project)
    return runs[0].status.get("state", "") if runs else ""


def start_from_two_tabs(url: str) -> list[str]:
    """Two sessions press Train at the same moment; returns each one's answer."""
    clients = [Client(url, verbose=False) for _ in range(2)]
    answers: list[str] = [""] * 2
    go = threading.Barrier(2)

    def press(i: int) -> None:
        go.wait()
        try:
            answers[i] = clients[i].predict("load", "quick", "lora", "", api_name="/train_start")
        except AppError as e:
            answers[i] = f"error: {e}"

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_under_load_two_tabs_get_one_run_and_one_busy_answer_and_navigation_stays_live(busy_studio, browser):
    server, project = busy_studio
    answers = start_from_two_tabs(server.url)
    started = [a for a in answers if a.startswith("Started")]
    busy = [a for a in answers if "Busy" in a]
    assert len(started) == 1 and len(busy) == 1, answers
    assert "training for “load”" in busy[0] and "cancel" in busy[0]
    deadline = time.monotonic() + 120
    while run_state(project) != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run_state(project) == "running"
    assert len(list_runs(project)) == 1  # one run, not two

    latencies = {}
    client = Client(server.url, verbose=False)
    t0 = time.monotonic()
    listed = client.predict(None, api_name="/list_projects")
    latencies["project list"] = time.monotonic() - t0
    names = {c[0] if isinstance(c, (list, tuple)) else c for c in listed["choices"]}
    assert names >= {"load", "another"}, listed
    assert run_state(project) == "running", "the project list only answered after training ended"

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        t0 = time.monotonic()
        page.goto(server.url, wait_until="load")
        expect(page.locator("#project-picker")).to_be_visible()
        latencies["page load"] = time.monotonic() - t0
        for tab, marker in (("Export", "Build the filter for apps and phones"), ("Filter", "describe the filter"), ("Train", "Step 4")):
            t0 = time.monotonic()
            page.get_by_role("tab", name=tab).click()
            expect(page.get_by_text(marker).first).to_be_visible()
            latencies[f"open {tab} tab"] = time.monotonic() - t0
        assert run_state(project) == "running", "navigation only answered after training ended"
    finally:
        page.close()
    print("latencies under load:", {k: f"{v:.2f} s" for k, v in latencies.items()})

    message = client.predict("load", api_name="/train_cancel")
    assert "Cancelling" in message
    deadline = time.monotonic() + 120
    while run_state(project) == "running" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert run_state(project) == "cancelled"
