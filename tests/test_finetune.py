"""Fine-tuning a project's filter in every mode, resuming runs, rank search, base training, applying."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from e2gan import filters, finetune, sources
from e2gan.callbacks import TrainCallback
from e2gan.cli import main as cli
from e2gan.distill import distill
from e2gan.lora import LoraSettings
from e2gan.models.generator import Generator
from e2gan.models.weights import load_generator
from e2gan.rank_search import search_project
from e2gan.runs import get_run, list_runs
from e2gan.runtime import load_run_filter
from e2gan.teachers.offline import offline_spec
from e2gan.train import TrainSettings
from tests.tiny import tiny_generator_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = dict(crop=32, steps=4, checkpoint_every=2, sample_every=2, probe_count=2)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny random base that uses the real offline text encoder (384-d MiniLM tokens)."""
    import torch

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("base") / "base"
    Generator(tiny_generator_config(text_dim=384, text_tokens=8)).save_pretrained(folder)
    return folder


@pytest.fixture
def taught(sample_project):
    distill(sample_project, offline_spec("cartoon"))
    return sample_project


def test_lora_run_saves_adapter_log_samples_and_result(taught, base_dir):
    run = finetune.finetune(taught, "lora", TrainSettings(**QUICK), base=base_dir)
    assert run.status["state"] == "done" and run.status["step"] == 4
    assert (run.output_dir / "adapter_model.safetensors").is_file()
    assert json.loads((run.output_dir / "e2gan_adapter.json").read_text())["base"] == str(base_dir)
    assert len((run.log_path).read_text().splitlines()) == 4
    assert sorted(p.name for p in run.samples_dir.iterdir()) == ["step-0000002.png", "step-0000004.png"]
    result = run.result
    assert result["trainable_params"] < sum(p.numel() for p in load_generator(base_dir).parameters())
    assert result["pairs"] == len(sources.list_sources(taught)) and np.isfinite(result["fit_psnr"])
    assert taught.step("train").state == "done"
    quality = run.evaluation  # every pair trained, so quality is measured on them, and says so
    assert quality["held_out"] is False and np.isfinite(quality["psnr"]) and "own training pairs" in taught.step("train").summary


def test_quality_is_judged_on_the_pairs_curation_left_out(taught, base_dir, capsys):
    from e2gan import pairs
    from e2gan.curate import CurateSettings, curate

    curate(taught, CurateSettings(k=5, skip_flagged=False))
    run = finetune.finetune(taught, "lora", TrainSettings(**QUICK), base=base_dir)
    quality, n = run.evaluation, len(pairs.usable_pairs(taught))
    assert quality["held_out"] is True and quality["images"] == n - 5
    assert np.isfinite(quality["psnr"]) and 0 < quality["ssim"] <= 1
    assert quality["fid"] is None and any("FID" in reason for reason in quality["missing"])  # no weights offline
    assert (run.root / "eval" / "grid.png").is_file()
    assert "did not train on" in taught.step("train").summary
    (run.root / "eval" / "metrics.json").unlink()
    assert cli(["--projects", str(taught.root.parent), "evaluate", taught.name, "--limit", "4"]) == 0
    assert "on 4 pairs it did not train on" in capsys.readouterr().out
    assert get_run(taught, run.id).evaluation["images"] == 4


@pytest.mark.parametrize("mode", ["full", "scratch", "pix2pix"])
def test_baseline_modes_train_and_save_a_model(taught, base_dir, mode):
    run = finetune.finetune(taught, mode, TrainSettings(**{**QUICK, "steps": 2}), base=base_dir)
    assert run.status["state"] == "done"
    model = load_generator(run.output_dir)
    assert type(model).__name__ == ("ResnetGenerator" if mode == "pix2pix" else "Generator")


class Interrupt(TrainCallback):
    def on_step(self, trainer, step, losses):
        if step == 3:
            raise KeyboardInterrupt


def test_interrupted_run_resumes_to_the_end(taught, base_dir):
    settings = TrainSettings(**{**QUICK, "steps": 6})
    with pytest.raises(KeyboardInterrupt):
        finetune.finetune(taught, "lora", settings, base=base_dir, callbacks=[Interrupt()])
    run = get_run(taught)
    assert run.status["state"] == "interrupted" and run.status["step"] == 3
    resumed = finetune.resume(taught, run.id)
    assert resumed.id == run.id and resumed.status["state"] == "done" and resumed.status["step"] == 6
    assert [json.loads(line)["step"] for line in run.log_path.read_text().splitlines()] == [1, 2, 3, 4, 5, 6]


def test_apply_keeps_any_frame_size(taught, base_dir, tmp_path, store):
    finetune.finetune(taught, "lora", TrainSettings(**QUICK), base=base_dir)
    flt = load_run_filter(taught)
    frame = np.random.default_rng(0).integers(0, 255, (50, 77, 3), dtype=np.uint8)
    assert flt(frame).shape == (50, 77, 3)
    Image.fromarray(frame).save(tmp_path / "odd.png")
    assert cli(["--projects", str(store.root), "apply", taught.name, str(tmp_path / "odd.png"), "--out", str(tmp_path / "out")]) == 0
    assert Image.open(tmp_path / "out" / "odd.png").size == (77, 50)


def test_rank_search_stays_within_budget_and_is_used(taught, base_dir):
    budget = 9_000
    result = search_project(taught, str(base_dir), budget, TrainSettings(**{**QUICK, "steps": 2}))
    assert result.trials and all(t.params <= budget for t in result.trials)
    assert taught.get_setting("lora_ranks") == result.best
    run = finetune.finetune(taught, "lora", TrainSettings(**{**QUICK, "steps": 1}), base=base_dir)
    assert run.settings["lora"]["ranks"] == result.best


def test_no_pairs_is_a_clear_error_and_creates_no_run(sample_project, base_dir):
    with pytest.raises(ValueError, match="no training pairs"):
        finetune.finetune(sample_project, "lora", TrainSettings(**QUICK), base=base_dir)
    assert list_runs(sample_project) == []


def test_missing_base_says_how_to_get_one(taught, tmp_path):
    with pytest.raises(FileNotFoundError, match="e2gan train-base"):
        finetune.finetune(taught, "lora", TrainSettings(**QUICK), base=tmp_path / "nothing")


def test_negative_rank_is_refused(taught, base_dir):
    with pytest.raises(ValueError, match="whole numbers"):
        finetune.finetune(taught, "lora", TrainSettings(**QUICK), LoraSettings(ranks={"down": -2}), base=base_dir)


def test_two_process_accelerate_train_base(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = tmp_path / "base"
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", "e2gan.cli", "train-base", "--out", str(out), "--concepts", "cartoon,ink", "--width", "4",
        "--crop", "32", "--steps", "4", "--batch-size", "2", "--checkpoint-every", "2",
    ]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    model = load_generator(out)
    assert model.config.width == 4
    assert json.loads((out / "training.json").read_text())["steps"] == 4
    log = [json.loads(line) for line in (out / "training" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]


def test_train_base_saves_the_generator_options_it_was_given(tmp_path):
    out = tmp_path / "base"
    cmd = [sys.executable, "-m", "e2gan.cli", "train-base", "--out", str(out), "--concepts", "old_photo", "--width", "4",
           "--head-width", "8", "--frame-coords", "--crop", "32", "--steps", "2", "--batch-size", "1", "--beta1", "0.9"]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    config = load_generator(out).config
    assert config.frame_coords and config.head_width == 8 and config.width == 4
    recipe = json.loads((out / "training.json").read_text())["settings"]  # what its card states
    assert recipe["beta1"] == 0.9 and recipe["crop"] == 32 and recipe["steps"] == 2


def test_the_shipped_base_preset_lists_exactly_the_concepts_the_shipped_base_saw():
    """Built-in edits added after the base was trained must not change what its own recipe re-trains or its card."""
    from e2gan.base_model import base_preset, trained_concepts

    preset = base_preset("shipped")
    training = json.loads((filters.shipped_base() / "training.json").read_text())
    assert trained_concepts(training) == preset["concepts"]
    assert not set(preset["concepts"]) & set(preset["held_out"])


def test_a_run_whose_process_died_is_interrupted_even_when_its_pid_is_reused(taught, base_dir):
    from e2gan import atomic
    from e2gan.processes import started as _process_started

    run = finetune.finetune(taught, "lora", TrainSettings(**{**QUICK, "steps": 2}), base=base_dir)
    me, started = os.getpid(), _process_started(os.getpid())
    for state in ("created", "running"):
        atomic.write_json(run.root / "status.json", {"state": state, "step": 1, "pid": me, "process_started": started})
        assert run.status["state"] == state  # this very process: alive
        atomic.write_json(run.root / "status.json", {"state": state, "step": 1, "pid": me, "process_started": started - 3600})
        assert run.status["state"] == "interrupted"  # same pid, another process (e.g. pid 1 after a restart)


def test_the_shipped_base_is_the_default_and_loads_with_no_network(taught):
    from e2gan.base_model import base_preset

    base = filters.resolve_base(None)
    assert base == filters.shipped_base()
    preset = base_preset("shipped")
    model = load_generator(base)
    assert model.config.pixel_scale == preset["pixel_scale"] and model.config.text_encoder == "minilm"
    assert json.loads((base / "training.json").read_text())["steps"] == preset["train"]["steps"]
    assert (base / "MODEL_CARD.md").is_file()
    dead = "http://127.0.0.1:9"  # any attempt to reach the network fails at once
    env = dict(os.environ, HF_HUB_OFFLINE="1", http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead, no_proxy="")
    cmd = [sys.executable, "-m", "e2gan.cli", "--projects", str(taught.root.parent), "finetune", taught.name,
           "--steps", "2", "--crop", "64", "--checkpoint-every", "2", "--sample-every", "2"]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    run = get_run(taught, finished=True)
    assert run.settings["base"] == str(base) and run.status["state"] == "done"


def test_resuming_a_finished_run_only_finishes_its_bookkeeping(taught, base_dir):
    """A kill can land after a run is done but before the project says so; resume then just says so."""
    run = finetune.finetune(taught, "lora", TrainSettings(**{**QUICK, "steps": 2}), base=base_dir)
    taught.set_step("train", "running", f"run {run.id}")
    again = finetune.resume(taught, run.id)
    assert again.id == run.id and again.status["state"] == "done" and len(list_runs(taught)) == 1
    assert taught.step("train").state == "done"
