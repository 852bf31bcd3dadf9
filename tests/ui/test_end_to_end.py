"""The whole flow in a real browser on a clean projects folder, without a terminal:
prompt → sample photos → teacher pairs → curated subset → quick training → webcam, the filter next to its
teacher, a name of its own → ONNX and phone export.

With E2GAN_SCREENSHOTS=DIR set, a screenshot of every tab is saved there (the README's pictures).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2gan import samples
from e2gan.project import ProjectStore

pytestmark = pytest.mark.browser


def field(page, elem_id: str):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def shoot(page, name: str) -> None:
    folder = os.environ.get("E2GAN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_prompt_to_phone_in_the_browser(studio_server, page):
    n = len(samples.sample_names())
    page.goto(studio_server.url, wait_until="load")

    # 1. Filter: a project, its prompt, the sample photos
    field(page, "new-name").fill("cartoon me")
    page.locator("#create-project").click()
    expect(page.locator("#source-counts")).to_contain_text("No source images yet")
    field(page, "prompt").fill("turn it into a cartoon")
    page.locator("#save-prompt").click()
    expect(page.locator("#project-status")).to_contain_text("turn it into a cartoon")
    page.locator("#add-samples").click()
    expect(page.locator("#source-counts")).to_contain_text(f"{n} source images", timeout=120_000)
    shoot(page, "1-filter")

    # 2. Teach: a built-in teacher suggested by the prompt, pairs for every photo
    tab(page, "Teach")
    page.locator("#suggest-teacher").click()
    expect(page.locator("#teach-note")).to_contain_text("Cartoon", timeout=120_000)  # matching by meaning loads the text encoder
    page.locator("#generate-pairs").click()
    expect(page.locator("#pairs-info")).to_contain_text(f"{n} pairs ready", timeout=180_000)
    shoot(page, "2-teach")

    # 3. Curate: keep 6 diverse pairs
    tab(page, "Curate")
    box = page.locator("#k-slider input[type=number]")
    box.fill("6")
    box.press("Enter")
    expect(page.locator("#curate-summary")).to_contain_text(f"Selected 6 of {n} pairs", timeout=180_000)
    shoot(page, "3-curate")

    # 4. Train: the Quick preset; loss plot and samples update while it runs
    tab(page, "Train")
    expect(page.locator("#train-estimates")).to_contain_text("Training on 6 pairs", timeout=120_000)
    expect(page.locator("#train-layers")).to_contain_text("trainable of")
    page.locator("#train-start").click()
    page.wait_for_function("() => document.querySelector('#train-loss .js-plotly-plot')?.data?.[0]?.x?.length >= 2", timeout=120_000)
    expect(page.locator("#train-sample img")).to_have_count(1, timeout=120_000)
    first_sample = page.locator("#train-sample img").get_attribute("src")
    expect(page.locator("#train-state")).to_have_attribute("data-state", "done", timeout=600_000)
    page.wait_for_function(
        "(first) => document.querySelector('#train-sample img')?.getAttribute('src') !== first", arg=first_sample, timeout=30_000
    )
    shoot(page, "4-train")

    # 5. Try: the fake webcam through the new filter
    tab(page, "Try")
    expect(page.locator("#try-status")).to_contain_text("1 filters available", timeout=60_000)
    page.get_by_text("Click to Access Webcam").click()
    page.locator("#try-camera button", has_text="Record").click()
    expect(page.locator("#try-fps")).to_contain_text("fps", timeout=60_000)
    expect(page.locator("#try-output img")).to_have_count(1)
    page.locator("#try-camera button", has_text="Stop").click() if page.locator("#try-camera button", has_text="Stop").count() else None

    # 5b. Compare: photo | teacher | filter on photos it did not train on, a verdict; then a name of our own
    expect(page.locator("#compare-verdict")).to_contain_text("teacher", timeout=120_000)
    expect(page.locator("#compare-rows img").first).to_be_visible()
    expect(page.locator("#compare-wipe img").first).to_be_visible()
    field(page, "try-name").fill("Sunday cartoon")
    page.locator("#try-rename").click()
    expect(page.locator("#try-status")).to_contain_text("Renamed to “Sunday cartoon”", timeout=60_000)
    expect(field(page, "try-filter")).to_have_value("Sunday cartoon")
    shoot(page, "5-try")

    # 6. Export: ONNX + the phone web build, verified
    tab(page, "Export")
    page.locator("#export-formats").get_by_label("int8").uncheck()
    page.locator("#export-run").click()
    expect(page.locator("#export-summary")).to_contain_text("Verified", timeout=300_000)
    expect(page.locator("#model-card")).to_contain_text("turn it into a cartoon")
    expect(page.locator("#model-card")).to_contain_text("Sunday cartoon")  # the filter's name heads its card
    shoot(page, "6-export")

    project = ProjectStore(studio_server.projects).open("cartoon me")
    (export,) = [p for p in project.exports_dir.iterdir() if (p / "report.json").is_file()]
    report = json.loads((export / "report.json").read_text())
    assert (export / "model.onnx").is_file() and (export / "web" / "index.html").is_file() and (export / "web.zip").is_file()
    assert report["parity"] and all(p["passed"] for p in report["parity"])
    assert report["data"]["trained_on"] == 6
    assert project.step("export").state == "done"
