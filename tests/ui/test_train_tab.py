"""Browser tests: training outlives the page, and survives a killed server through resume."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from e2gan import sources
from e2gan.curate import CurateSettings, curate
from e2gan.distill import distill
from e2gan.project import ProjectStore
from e2gan.runs import list_runs
from e2gan.teachers.offline import offline_spec
from tests.browser import StudioServer

pytestmark = pytest.mark.browser
STATE = "#train-state"


@pytest.fixture
def ready_project(tmp_path):
    """Pairs and a curated set of 6: the Quick preset then trains 120 steps."""
    store = ProjectStore(tmp_path / "projects")
    project = store.create("sketch", "make it a pencil sketch")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=128))
    distill(project, offline_spec("pencil_sketch"))
    curate(project, CurateSettings(k=6))
    return project


def open_train_tab(page, url):
    page.goto(url, wait_until="load")
    expect(page.locator("#project-status")).to_contain_text("sketch")
    page.get_by_role("tab", name="Train").click()


def step(page) -> int:
    return int(page.locator(STATE).get_attribute("data-step") or 0)


def test_closing_the_page_does_not_stop_training(ready_project, browser, tmp_path):
    server = StudioServer(ready_project.root.parent, tmp_path / "studio.log").start()
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_train_tab(page, server.url)
        expect(page.locator("#train-estimates")).to_contain_text("Training on **6 pairs**".replace("**", ""), timeout=60_000)
        page.locator("#train-start").click()
        page.wait_for_function("() => Number(document.querySelector('#train-state')?.dataset.step || 0) >= 5", timeout=120_000)
        context.close()  # the tab is gone

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        open_train_tab(page, server.url)
        expect(page.locator(STATE)).to_have_attribute("data-state", "running", timeout=30_000)
        before = step(page)
        page.wait_for_function(f"() => Number(document.querySelector('#train-state').dataset.step) > {before}", timeout=60_000)
        expect(page.locator(STATE)).to_have_attribute("data-state", "done", timeout=300_000)
        expect(page.locator("#train-sample img")).to_have_count(1)
        page.wait_for_function("() => document.querySelector('#train-loss .js-plotly-plot')?.data?.[0]?.x?.length > 10")
        context.close()
    finally:
        server.stop()
    (run,) = list_runs(ready_project)
    assert run.status["state"] == "done" and run.status["step"] == run.settings["train"]["steps"]


def test_killed_server_resumes_from_its_checkpoint(ready_project, page, tmp_path):
    server = StudioServer(ready_project.root.parent, tmp_path / "studio.log").start()
    open_train_tab(page, server.url)
    page.locator("#train-start").click()
    page.wait_for_function("() => Number(document.querySelector('#train-state')?.dataset.step || 0) >= 60", timeout=300_000)
    server.kill()  # SIGKILL: no clean-up, mid-run
    (run,) = list_runs(ready_project)
    assert run.status["state"] == "interrupted"
    checkpoint = json.loads((run.root / "checkpoints" / "latest.json").read_text())["step"]
    assert 0 < checkpoint < run.settings["train"]["steps"]

    server = StudioServer(ready_project.root.parent, tmp_path / "studio2.log").start()
    try:
        open_train_tab(page, server.url)
        expect(page.locator(STATE)).to_have_attribute("data-state", "interrupted", timeout=30_000)
        expect(page.locator("#train-progress")).to_contain_text("Resume")
        page.locator("#train-resume").click()
        expect(page.locator(STATE)).to_have_attribute("data-state", "done", timeout=300_000)
    finally:
        server.stop()
    assert run.status["state"] == "done"
    steps = [json.loads(line)["step"] for line in run.log_path.read_text().splitlines()]
    assert steps == list(range(1, run.settings["train"]["steps"] + 1))  # resumed where the checkpoint was, no gap, no repeat
    assert (run.output_dir / "adapter_model.safetensors").is_file()


def test_the_loss_plot_shows_gan_curves_only_when_there_was_an_adversarial_phase():
    from studio.tabs.train import _loss_figure

    regression = [{"step": s, "g_l1": 0.2 - s / 1000, "g_gan": 0.0, "d": 0.0} for s in range(1, 6)]
    assert [t.name for t in _loss_figure(regression).data] == ["L1 to teacher"]
    adversarial = regression + [{"step": 6, "g_l1": 0.1, "g_gan": 0.4, "d": 0.3}]
    assert [t.name for t in _loss_figure(adversarial).data] == ["L1 to teacher", "generator GAN", "discriminator"]
