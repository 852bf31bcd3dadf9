"""Browser test: stream the fake webcam through the Try tab and see filtered frames and the fps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import StudioServer

pytestmark = pytest.mark.browser


def test_fake_webcam_streams_through_the_filter(trained_project, page, tmp_path):
    server = StudioServer(trained_project.root.parent, tmp_path / "studio.log").start()
    try:
        page.goto(server.url, wait_until="load")
        expect(page.locator("#project-status")).to_contain_text("toon")
        page.get_by_role("tab", name="Try").click()
        expect(page.locator("#try-status")).to_contain_text("1 filters available", timeout=60_000)
        page.get_by_text("Click to Access Webcam").click()
        page.locator("#try-camera button", has_text="Record").click()
        output = page.locator("#try-output img")
        expect(output).to_have_count(1, timeout=60_000)
        expect(page.locator("#try-fps")).to_contain_text("fps", timeout=60_000)
        # frames keep coming: the picture is replaced while streaming
        first = output.get_attribute("src")
        page.wait_for_function(
            "(first) => { const img = document.querySelector('#try-output img'); return img && img.src !== first; }",
            arg=first,
            timeout=30_000,
        )
        size = page.wait_for_function(
            "() => { const i = document.querySelector('#try-output img'); return i && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null; }"
        ).json_value()
        assert size[0] > size[1]  # before | after, side by side
    finally:
        server.stop()
