"""Browser test: the phone web build runs in headless Chromium on the fake camera and matches onnxruntime."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from e2gan.export.build import export_filter, heldout_batch
from e2gan.export.onnx_model import session
from e2gan.export.serve import PhoneServer

pytestmark = pytest.mark.browser


def test_web_build_filters_the_camera_and_matches_onnxruntime(trained_project, page, tmp_path):
    result = export_filter(trained_project, ["onnx", "web"])
    site = tmp_path / "web"
    shutil.copytree(result.folder / "web", site)
    probe = (heldout_batch(trained_project, 64)[0].transpose(1, 2, 0) * 255).round().astype(np.uint8)
    Image.fromarray(probe).save(site / "probe.png")
    camera = np.asarray(Image.fromarray(probe).resize((160, 128), Image.Resampling.BICUBIC))  # a frame bigger than the pixel scale
    Image.fromarray(camera).save(site / "camera.png")

    server = PhoneServer(site, host="127.0.0.1", tls=False).start()  # localhost counts as a secure context
    try:
        page.goto(server.url, wait_until="load")
        page.evaluate("() => window.e2gan.ready")
        page.wait_for_function("() => window.e2gan.frames > 3", timeout=60_000)  # fake camera frames filtered
        assert page.evaluate("() => window.e2gan.fps") > 0
        assert "fps" in page.locator("#fps").inner_text()
        page.locator("#toggle").click()
        assert page.locator("#toggle").inner_text() == "Before"
        web_out = np.array(page.evaluate("() => window.e2gan.runImage('probe.png')"), dtype=np.float32)
        web_frame = np.array(page.evaluate("() => window.e2gan.filterImage('camera.png')"), dtype=np.float32)
    finally:
        server.stop()

    x = (np.asarray(Image.open(site / "probe.png").convert("RGB"), np.float32) / 255).transpose(2, 0, 1)[None]
    expected = session(result.folder / "model.onnx").run(None, {"image": np.ascontiguousarray(x)})[0].ravel()
    assert web_out.shape == expected.shape
    assert np.abs(web_out - expected).max() < 1e-3

    # the page's camera path (network at the pixel scale, composed at full size) is the runtime's
    from e2gan.runtime import OnnxFilter

    expected_frame = OnnxFilter(result.folder / "model.onnx", 64)(camera).astype(np.float32)
    web_frame = web_frame.reshape(camera.shape[0], camera.shape[1], 4)[..., :3]
    assert np.abs(web_frame - expected_frame).mean() < 3  # the browser's and OpenCV's down-scaling differ a little
