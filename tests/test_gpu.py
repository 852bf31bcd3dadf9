"""The GPU paths, on a real CUDA device: fine-tuning in bf16 and fp16, rank search, distillation with a tiny
diffusion pipeline, export of a GPU-trained filter and the benchmarks' quick modes. Skipped without CUDA
(CI has none); run it on a GPU machine with `make gpu-check`, which also prints the step rate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from e2gan import finetune, sources
from e2gan.distill import distill
from e2gan.export.build import export_filter
from e2gan.models.generator import Generator
from e2gan.rank_search import search_project
from e2gan.teachers.base import TeacherSpec
from e2gan.teachers.offline import offline_spec
from e2gan.train import TrainSettings
from tests.tiny import tiny_generator_config

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def gpu_project(tmp_path_factory):
    from e2gan.project import ProjectStore

    root = tmp_path_factory.mktemp("gpu")
    project = ProjectStore(root / "projects").create("gpu", "turn it into a cartoon")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    distill(project, offline_spec("cartoon"))
    torch.manual_seed(0)
    Generator(tiny_generator_config(text_dim=384, text_tokens=8, pixel_scale=64)).save_pretrained(root / "base")
    return project, root / "base"


@pytest.mark.parametrize("precision", ["bf16", "fp16", "fp32"])
def test_finetune_on_cuda(gpu_project, precision):
    project, base = gpu_project
    settings = TrainSettings(steps=40, crop=64, batch_size=8, device="cuda", precision=precision, checkpoint_every=20, sample_every=20)
    start = time.perf_counter()
    run = finetune.finetune(project, "lora", settings, base=base)
    rate = settings.steps / (time.perf_counter() - start)
    assert run.status["state"] == "done" and np.isfinite(run.result["fit_psnr"])
    print(f"\nGPU step rate ({torch.cuda.get_device_name(0)}, {precision}, batch 8 of 64 px, tiny model): {rate:.1f} steps/s")


def test_finetune_pix2pix_and_full_on_cuda(gpu_project):
    project, base = gpu_project
    for mode in ("pix2pix", "full"):
        settings = TrainSettings(steps=6, crop=64, device="cuda", checkpoint_every=3, sample_every=3)
        assert finetune.finetune(project, mode, settings, base=base if mode == "full" else None).status["state"] == "done"


def test_rank_search_on_cuda(gpu_project):
    project, base = gpu_project
    result = search_project(project, str(base), 12_000, TrainSettings(steps=4, crop=32, device="cuda"))  # smallest ranks: ~5,000
    assert result.trials and all(np.isfinite(t.psnr) for t in result.trials)


def test_export_of_a_gpu_trained_filter(gpu_project):
    project, base = gpu_project
    finetune.finetune(project, "lora", TrainSettings(steps=4, crop=64, device="cuda", checkpoint_every=2, sample_every=2), base=base)
    result = export_filter(project, ["onnx", "int8"])
    assert result.passed, result.report["parity"]


def test_distill_with_a_tiny_diffusion_pipeline_on_cuda(gpu_project, tiny_ip2p):
    project, _ = gpu_project
    report = distill(project, TeacherSpec("instruct-pix2pix", str(tiny_ip2p), {"steps": 2}), limit=2)
    assert report.made == 2 and not report.failed


@pytest.mark.parametrize("module", ["benchmarks.quality", "benchmarks.data_reduction"])
def test_benchmark_quick_modes_on_cuda(module):
    out = subprocess.run([sys.executable, "-m", module, "--quick", "--threads", "1"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
