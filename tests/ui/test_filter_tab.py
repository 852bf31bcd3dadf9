"""Browser test: open the studio, create a project, add the sample images, see them in the gallery."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2gan import samples

pytestmark = pytest.mark.browser


def field(page, elem_id: str):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def test_create_project_and_add_samples(studio_server, page):
    page.goto(studio_server.url, wait_until="load")
    expect(page.get_by_text("No project open")).to_be_visible()
    for tab in ("Filter", "Teach", "Curate", "Train", "Try", "Export"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()

    field(page, "new-name").fill("watercolour")
    page.locator("#create-project").click()
    expect(page.locator("#project-message")).to_contain_text("Created watercolour")
    expect(page.locator("#project-status")).to_contain_text("watercolour")
    expect(page.locator("#source-counts")).to_contain_text("No source images yet")  # the tab has loaded it

    field(page, "prompt").fill("make it a watercolour painting")
    page.locator("#save-prompt").click()
    expect(page.locator("#project-status")).to_contain_text("make it a watercolour painting")

    page.locator("#add-samples").click()
    n = len(samples.sample_names())
    expect(page.locator("#source-counts")).to_contain_text(f"{n} source images", timeout=120_000)
    expect(page.locator("#source-gallery img")).to_have_count(n)
    expect(page.locator("#project-status")).to_contain_text(f"Filter: {n} images")

    # The studio remembers the project: a reload reopens it with its images.
    page.reload(wait_until="load")
    expect(page.locator("#source-counts")).to_contain_text(f"{n} source images")
    assert (studio_server.projects / "watercolour" / "sources" / "manifest.json").is_file()


def test_webcam_snapshots_become_source_images(studio_server, page):
    """The fake camera: four snapshots after a countdown, one dropped from the strip, three added as sources."""
    page.goto(studio_server.url, wait_until="load")
    field(page, "new-name").fill("my face")
    page.locator("#create-project").click()
    expect(page.locator("#source-counts")).to_contain_text("No source images yet")
    page.locator("#capture-panel").get_by_text("…or your webcam").click()
    page.locator("#capture-camera").get_by_text("Click to Access Webcam").click()
    page.locator("#capture-camera button", has_text="Record").click()
    count = page.locator("#capture-count input[type=number]")
    count.fill("4")
    count.press("Enter")
    page.locator("#capture-start").click()
    expect(page.locator("#capture-countdown")).to_contain_text("4 captures", timeout=120_000)
    expect(page.locator("#capture-strip img")).to_have_count(4)
    page.locator("#capture-strip img").first.click()
    expect(page.locator("#capture-countdown")).to_contain_text("3 captures")
    page.locator("#capture-add").click()
    expect(page.locator("#source-counts")).to_contain_text("3 source images", timeout=120_000)
    expect(page.locator("#source-gallery img")).to_have_count(3)
    manifest = (studio_server.projects / "my face" / "sources" / "manifest.json").read_text()
    assert manifest.count('"origin": "webcam"') == 3
