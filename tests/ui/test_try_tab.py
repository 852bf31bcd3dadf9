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
        # one frame, decoded on its own: the streamed <img> may be swapped for the next frame at any moment
        width, height, difference = page.evaluate(
            """async () => {
                const img = new Image();
                img.src = document.querySelector('#try-output img').src;
                await img.decode();
                const c = document.createElement('canvas');
                c.width = img.naturalWidth; c.height = img.naturalHeight;
                const g = c.getContext('2d');
                g.drawImage(img, 0, 0);
                const half = Math.floor(c.width / 2);
                const a = g.getImageData(0, 0, half, c.height).data, b = g.getImageData(c.width - half, 0, half, c.height).data;
                let sum = 0;
                for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
                return [c.width, c.height, sum / (a.length / 4) / 3];
            }"""
        )
        assert width > height  # before | after, side by side
        assert difference > 4  # mean absolute difference per channel, 0–255
    finally:
        server.stop()
