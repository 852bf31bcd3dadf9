"""Step 5: train a filter for one project, E2GAN's way or as a baseline, in a run folder.

    finetune(project)                       base + LoRA on the crucial layers (E2GAN; the default)
    finetune(project, mode="full")          base + full fine-tuning (baseline)
    finetune(project, mode="scratch")       E2GAN generator from random weights (baseline)
    finetune(project, mode="pix2pix")       pix2pix ResNet-9 from random weights (the paper's baseline)
    resume(project, run_id)                 continue an interrupted or cancelled run

The training pairs are the curated selection when there is one, else every usable pair. All modes share
`e2gan.train.Trainer`; only which parameters train and what is saved at the end differ.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from e2gan import atomic, pairs, sources
from e2gan.callbacks import JsonlLog, ProgressReporter, SampleWriter, TrainCallback
from e2gan.data import PairData
from e2gan.estimate import check_fits
from e2gan.curate import selected_pair_ids
from e2gan.evaluate import describe, evaluate_run, score_on_pairs
from e2gan.filters import resolve_base, text_function
from e2gan.lora import DEFAULT_RANKS, LoraSettings, adapter_bytes, apply_lora, save_adapter
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.models.resnet_generator import ResnetGenerator
from e2gan.models.weights import load_generator
from e2gan.progress import ProgressFn
from e2gan.project import Project
from e2gan.runs import MODES, Run, default_name, get_run, new_run
from e2gan.train import Trainer, TrainSettings

MODE_TITLES = {"lora": "LoRA", "full": "full fine-tune", "scratch": "from scratch", "pix2pix": "pix2pix"}  # in default names


def finetune(
    project: Project,
    mode: str = "lora",
    train: TrainSettings | None = None,
    lora: LoraSettings | None = None,
    base: str | Path | None = None,
    pair_ids: Sequence[str] | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    callbacks: Sequence[TrainCallback] = (),
    preset: str | None = None,
) -> Run:
    """Start a new run and train it to the end (or until cancelled); returns the run. `preset` (the preset's
    title, when the settings came from one) goes into the filter's default name."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    train = train or TrainSettings()
    train.validate()
    check_fits(train.crop, train.batch_size, mode, train.device)
    lora = lora or LoraSettings(ranks=project.get_setting("lora_ranks") or dict(DEFAULT_RANKS))
    lora.layer_ranks()  # validate before creating anything
    needs_base = mode in ("lora", "full")
    ids = list(pair_ids) if pair_ids is not None else selected_pair_ids(project)
    settings = {
        "mode": mode,
        "pixel_scale": sources.settings_of(project).pixel_scale,  # the teacher's scale: the filter runs at it
        "base": str(resolve_base(base)) if needs_base else None,
        "train": asdict(train),
        "lora": asdict(lora) if mode == "lora" else None,
        "pair_ids": ids,
        "prompt": project.prompt,
        "preset": preset,
        "name": default_name(project, preset or MODE_TITLES[mode]),
    }
    pairs.pair_data(project, ids)  # fail early (no pairs) before creating a run folder
    run = new_run(project, settings)
    return _run(project, run, progress, cancel, callbacks)


def resume(
    project: Project,
    run_id: str | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    callbacks: Sequence[TrainCallback] = (),
) -> Run:
    """Continue a run from its last checkpoint with its saved settings."""
    run = get_run(project, run_id)
    if run.status.get("state") == "done":  # nothing to train; finish the bookkeeping a kill may have cut short
        if project.step("train").state != "done":
            project.set_step("train", "done", f"run {run.id}: {describe(run.evaluation)}" if run.evaluation else f"run {run.id}")
            project.mark_downstream_stale("train")
        return run
    return _run(project, run, progress, cancel, callbacks)


def _run(project, run: Run, progress, cancel, callbacks) -> Run:
    with project.exclusive(f"train-{run.id}", f"Training run {run.id}"):  # never two processes on one run
        return _train(project, run, progress, cancel, callbacks)


def _train(project, run: Run, progress, cancel, callbacks) -> Run:
    s = run.settings
    train = TrainSettings.from_dict(s["train"])
    data = pairs.pair_data(project, s["pair_ids"])
    generator = build_generator(s["mode"], s["base"], LoraSettings(**s["lora"]) if s["lora"] else None, train.seed)
    text = text_function(generator)
    status = RunStatus(run)
    trainer = Trainer(
        generator,
        data,
        text,
        train,
        run.root,
        [JsonlLog(run.log_path), SampleWriter(run.samples_dir), ProgressReporter(progress), status, *callbacks],
        cancel=cancel,
    )
    project.set_step("train", "running", f"run {run.id}")
    try:
        result = trainer.fit()
    except BaseException as e:
        run.set_status("failed" if isinstance(e, Exception) else "interrupted", trainer.step, str(e)[:500])
        project.set_step("train", "failed", f"run {run.id}: {str(e)[:120]}")
        raise
    if result.status == "cancelled":
        run.set_status("cancelled", result.steps, "cancelled; resume to continue")
        project.set_step("train", "stale", f"run {run.id} cancelled at step {result.steps}")
        return run
    _save_outputs(run, s, trainer, data)
    metrics = evaluate_run(project, run, trainer.generator)
    run.set_status("done", result.steps, "finished")
    project.set_step("train", "done", f"run {run.id}: {describe(metrics)}")
    project.mark_downstream_stale("train")
    return run


def build_generator(mode: str, base: str | None, lora: LoraSettings | None, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    if mode == "lora":
        return apply_lora(load_generator(base), lora, copy_base=False)
    if mode == "full":
        return load_generator(base)
    if mode == "scratch":
        return Generator(GeneratorConfig())
    return ResnetGenerator()


def _save_outputs(run: Run, s: dict, trainer: Trainer, data: PairData) -> None:
    g = trainer.generator
    if s["mode"] == "lora":
        info = {"base": s["base"], "prompt": s["prompt"], "ranks": s["lora"]["ranks"]}
        save_adapter(g, run.output_dir, info)
        stored = adapter_bytes(run.output_dir)
    else:
        g.save_pretrained(run.output_dir)
        stored = (run.output_dir / "model.safetensors").stat().st_size
    metrics = evaluate_on(g, trainer.text, data, s["pixel_scale"])
    atomic.write_json(
        run.root / "result.json",
        {
            **metrics,
            "steps": trainer.step,
            "wall_s": round(trainer.elapsed_s, 2),
            "trainable_params": sum(p.numel() for p in g.parameters() if p.requires_grad),
            "stored_bytes": stored,
            "pairs": len(data),
        },
    )


def evaluate_on(generator: nn.Module, text, data: PairData, pixel_scale: int, limit: int = 16) -> dict:
    """PSNR / SSIM of the student against the teacher on up to `limit` of its training pairs (centre
    crops): how well it fits the teacher. Held-out quality is `e2gan.evaluate`'s job."""
    fit = score_on_pairs(generator, text, data, pixel_scale, range(min(limit, len(data))))
    return {"fit_psnr": round(fit["psnr"], 3), "fit_ssim": round(fit["ssim"], 4)}


class RunStatus(TrainCallback):
    """Keeps the run's status.json current so other processes (the studio) can follow it."""

    def __init__(self, run: Run, every_s: float = 2.0):
        self.run, self.every_s, self.written = run, every_s, 0.0  # time-based: the same cost at any step rate

    def on_start(self, trainer, start_step):
        self.run.set_status("running", start_step, "starting" if start_step == 0 else f"resumed at step {start_step}")
        self.written = time.monotonic()

    def on_step(self, trainer, step, losses):
        if time.monotonic() - self.written >= self.every_s:
            self.run.set_status("running", step, f"L1 {losses['g_l1']:.3f}")
            self.written = time.monotonic()

