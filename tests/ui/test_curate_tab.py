"""Browser test: open Curate for a project with pairs, move K, see the map and the selection change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2gan import sources
from e2gan.curate import read_selection
from e2gan.distill import distill
from e2gan.project import ProjectStore
from e2gan.teachers.offline import offline_spec

pytestmark = pytest.mark.browser

SELECTED_ON_MAP = """() => {
  const plot = document.querySelector('#curate-map .js-plotly-plot');
  const trace = plot && plot.data.find((t) => t.name === 'selected for training');
  return trace ? trace.x.length : -1;
}"""


def set_k(page, k: int) -> None:
    box = page.locator("#k-slider input[type=number]")
    box.fill(str(k))
    box.press("Enter")


def test_move_k_updates_map_and_selection(studio_server, page):
    store = ProjectStore(studio_server.projects)
    project = store.create("curated", "make it a cartoon")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    distill(project, offline_spec("cartoon"))
    n = len(sources.list_sources(project))

    page.goto(studio_server.url, wait_until="load")
    expect(page.locator("#project-status")).to_contain_text("curated")
    page.get_by_role("tab", name="Curate").click()
    set_k(page, 5)
    expect(page.locator("#curate-summary")).to_contain_text(f"Selected 5 of {n} pairs", timeout=180_000)
    expect(page.locator("#selected-gallery img")).to_have_count(5)
    page.wait_for_function(f"() => ({SELECTED_ON_MAP})() === 5")
    first = read_selection(project)["ids"]

    set_k(page, 8)
    expect(page.locator("#curate-summary")).to_contain_text(f"Selected 8 of {n} pairs", timeout=60_000)
    page.wait_for_function(f"() => ({SELECTED_ON_MAP})() === 8")
    expect(page.locator("#selected-gallery img")).to_have_count(8)
    second = read_selection(project)["ids"]
    assert len(second) == 8 and set(second) != set(first)
    expect(page.locator("#project-status")).to_contain_text("Curate: 8 of")

    # Click a dot: its pair is shown; exclude it and it leaves the training set for good.
    point = page.evaluate("""() => {
      const gd = document.querySelector('#curate-map .js-plotly-plot');
      const trace = gd.data.find((t) => t.name === 'selected for training');
      const fl = gd._fullLayout, box = gd.querySelector('.nsewdrag').getBoundingClientRect();
      return {id: trace.customdata[0], x: box.left + fl.xaxis.d2p(trace.x[0]), y: box.top + fl.yaxis.d2p(trace.y[0])};
    }""")
    page.mouse.click(point["x"], point["y"])
    expect(page.locator("#map-pair-info")).to_contain_text(point["id"][:8])
    page.locator("#exclude-pairs").click()
    expect(page.locator("#map-pair-info")).to_contain_text(point["id"][:8])
    page.wait_for_function(f"() => ({SELECTED_ON_MAP})() === 8")
    page.wait_for_timeout(500)
    final = read_selection(project)["ids"]
    assert point["id"] not in final and len(final) == 8
