"""Browser test: pick an offline teacher, generate pairs for the sample images, see them, reject one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2gan import pairs, sources
from e2gan.project import ProjectStore

pytestmark = pytest.mark.browser


def test_generate_and_reject_pairs(studio_server, page):
    store = ProjectStore(studio_server.projects)
    project = store.create("sketchy", "make it a pencil sketch")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    n = len(sources.list_sources(project))

    page.goto(studio_server.url, wait_until="load")
    expect(page.locator("#project-status")).to_contain_text("sketchy")
    page.get_by_role("tab", name="Teach").click()
    expect(page.locator("#pairs-info")).to_contain_text("No pairs yet")

    page.locator("#teacher input").click()
    page.get_by_role("option", name="Built-in · Cartoon").click()
    page.locator("#generate-pairs").click()
    expect(page.locator("#pairs-info")).to_contain_text(f"{n} pairs ready", timeout=120_000)
    expect(page.locator("#pairs-gallery img")).to_have_count(n)
    expect(page.locator("#project-status")).to_contain_text(f"Teach: {n} pairs")

    page.locator("#pairs-gallery img").nth(1).click()
    expect(page.locator("#selected-pair textarea, #selected-pair input").first).not_to_have_value("")
    page.locator("#reject-pair").click()
    expect(page.locator("#pairs-info")).to_contain_text(f"{n - 1} pairs ready (1 rejected")
    assert len(pairs.usable_pairs(project)) == n - 1
    rejected = [p for p in pairs.read_pairs(project).values() if p.rejected]
    assert len(rejected) == 1 and rejected[0].teacher["name"] == "cartoon"
