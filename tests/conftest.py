"""Shared fixtures: an offline, single-threaded environment and a fresh projects folder per test."""

from __future__ import annotations

import os
import tempfile

# Set before any test imports torch/gradio: no network, one thread each (2-core machines), no analytics.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("E2GAN_CACHE", tempfile.mkdtemp(prefix="e2gan-test-cache-"))
# onnxruntime-web's files come from the npm registry once (like pip's packages), then from this folder.
os.environ.setdefault("E2GAN_RUNTIME_CACHE", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "runtime"))

import pytest  # noqa: E402

from e2gan.project import ProjectStore  # noqa: E402

from tests.browser import browser, page, studio_server  # noqa: E402,F401  (fixtures)


@pytest.fixture
def store(tmp_path) -> ProjectStore:
    return ProjectStore(tmp_path / "projects")


@pytest.fixture
def project(store):
    return store.create("test filter", "make it a watercolour painting")


@pytest.fixture(scope="session")
def tiny_ip2p(tmp_path_factory):
    from tests.tiny import tiny_diffusion_pipeline

    return tiny_diffusion_pipeline(tmp_path_factory.mktemp("models") / "tiny-ip2p", "instruct-pix2pix")


@pytest.fixture(scope="session")
def tiny_img2img(tmp_path_factory):
    from tests.tiny import tiny_diffusion_pipeline

    return tiny_diffusion_pipeline(tmp_path_factory.mktemp("models") / "tiny-img2img", "img2img")


@pytest.fixture
def sample_project(store):
    """A project with the built-in sample photos at 64 px."""
    from e2gan import sources

    project = store.create("samples", "make it a watercolour painting")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    return project


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory):
    """A project with cartoon pairs, a small base and a finished LoRA run at 64 px (built once)."""
    import torch

    from e2gan import finetune, sources
    from e2gan.distill import distill
    from e2gan.models.generator import Generator, GeneratorConfig
    from e2gan.teachers.offline import offline_spec
    from e2gan.train import TrainSettings

    root = tmp_path_factory.mktemp("trained")
    torch.manual_seed(0)
    base = root / "base"
    Generator(GeneratorConfig(width=8, attn_width=32, text_tokens=8, pixel_scale=64)).save_pretrained(base)
    store = ProjectStore(root / "projects")
    project = store.create("toon", "turn it into a cartoon")
    sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=64))
    distill(project, offline_spec("cartoon"))
    settings = TrainSettings(steps=30, crop=64, lr=1e-3, checkpoint_every=100, sample_every=100)
    finetune.finetune(project, "lora", settings, base=base)
    return project


def pytest_terminal_summary(terminalreporter):
    """How many kill points the fault-injection suite tried, and how many left a sound project."""
    from tests import test_fault_injection

    tally = test_fault_injection.TALLY
    if tally:
        tried = sum(t["tried"] for t in tally.values())
        survived = sum(t["survived"] for t in tally.values())
        steps = ", ".join(f"{step} {t['survived']}/{t['tried']}" for step, t in tally.items())
        terminalreporter.write_line(f"fault injection: {survived} of {tried} kill points survived ({steps}); corrupt projects: {tried - survived}")
