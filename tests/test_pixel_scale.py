"""One meaning of scale: a filter runs at the pixel scale its teacher edited at, wherever it runs.

The project's pixel scale (short side of its stored photos) is what the teacher edited at; training cuts
smaller crops from those photos but never rescales them. The runtime, every export and the web page must
resize a frame to that pixel scale, whatever crop size trained the filter: the test trains on 32 px crops
of 64 px photos and checks each path runs the network at 64.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from e2gan import finetune, runtime
from e2gan.export.build import export_filter
from e2gan.runs import get_run
from e2gan.train import TrainSettings


@pytest.fixture(scope="module")
def cropped_run(tmp_path_factory, request):
    """A LoRA run trained on 32 px crops of a 64 px project."""
    import torch

    from e2gan import sources
    from e2gan.distill import distill
    from e2gan.models.generator import Generator, GeneratorConfig
    from e2gan.project import ProjectStore
    from e2gan.teachers.offline import offline_spec

    root = tmp_path_factory.mktemp("scale")
    torch.manual_seed(0)
    Generator(GeneratorConfig(width=4, attn_width=16, text_tokens=8, pixel_scale=64)).save_pretrained(root / "base")
    project = ProjectStore(root / "projects").create("scale", "make it a pencil sketch")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    distill(project, offline_spec("pencil_sketch"))
    finetune.finetune(project, "lora", TrainSettings(steps=2, crop=32, checkpoint_every=10, sample_every=10), base=root / "base")
    return project


def network_sizes(runner) -> list[tuple[int, int]]:
    """Wrap the runner's network call to record the (h, w) it is given."""
    seen, run = [], runner._run

    def spy(batch):
        seen.append(batch.shape[2:])
        return run(batch)

    runner._run = spy
    return seen


def test_runtime_runs_at_the_pixel_scale_not_the_crop(cropped_run):
    run = get_run(cropped_run, finished=True)
    assert run.settings["pixel_scale"] == 64 and run.settings["train"]["crop"] == 32
    pack = runtime.load_run_filter(cropped_run)
    seen = network_sizes(pack)
    frame = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    assert pack(frame).shape == frame.shape
    assert seen == [(64, 88)]  # short side 64, 320/240·64 ≈ 85 → multiple of 8


def test_every_export_and_the_web_page_run_at_the_pixel_scale(cropped_run):
    result = export_filter(cropped_run, ("onnx", "int8", "web"))
    report = json.loads((result.folder / "report.json").read_text())
    web = json.loads((result.folder / "web" / "config.json").read_text())
    assert report["pixel_scale"] == web["pixel_scale"] == 64
    onnx = runtime.OnnxFilter(result.folder / "model.onnx", report["pixel_scale"])
    seen = network_sizes(onnx)
    onnx(np.zeros((128, 128, 3), np.uint8))
    assert seen == [(64, 64)]
    app = (result.folder / "web" / "app.js").read_text()
    assert "state.config.pixel_scale" in app and "resolution" not in app
