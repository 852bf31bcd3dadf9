"""Fine-tuning a project's filter in every mode, resuming runs, rank search, base training, applying."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from e2gan import finetune, sources
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
QUICK = dict(resolution=32, steps=4, checkpoint_every=2, sample_every=2, probe_count=2)


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
        "--resolution", "32", "--steps", "4", "--batch-size", "2", "--checkpoint-every", "2",
    ]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    model = load_generator(out)
    assert model.config.width == 4
    assert json.loads((out / "training.json").read_text())["steps"] == 4
    log = [json.loads(line) for line in (out / "training" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]
