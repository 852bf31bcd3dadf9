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
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from e2gan import atomic, pairs, sources
from e2gan.callbacks import JsonlLog, ProgressReporter, SampleWriter, TrainCallback
from e2gan.data import PairData
from e2gan.estimate import check_fits
from e2gan.evaluate import describe, evaluate_run, psnr, ssim
from e2gan.lora import DEFAULT_RANKS, LoraSettings, adapter_bytes, apply_lora, save_adapter
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.models.resnet_generator import ResnetGenerator
from e2gan.models.weights import load_generator
from e2gan.progress import ProgressFn
from e2gan.project import Project
from e2gan.runs import MODES, Run, get_run, new_run
from e2gan.text.cache import PromptCache
from e2gan.text.encoder import TextEmbedding
from e2gan.train import Trainer, TrainSettings


def shipped_base() -> Path:
    """The pretrained base generator that ships with the studio (assets/base)."""
    return Path(__file__).resolve().parent.parent / "assets" / "base"


PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def resolve_base(base: str | Path | None) -> Path:
    """The base generator folder, checked up front: it must hold a real safetensors file (pickles can run
    code when loaded, so they are refused even when they are all there is)."""
    path = Path(base).expanduser() if base else shipped_base()
    weights = path / "model.safetensors"
    if not weights.is_file():
        pickles = sorted(p.name for p in path.glob("*") if p.suffix in PICKLE_SUFFIXES) if path.is_dir() else []
        if pickles:
            raise ValueError(
                f"{path} holds only pickle weights ({', '.join(pickles)}); they are never loaded because "
                "unpickling can run code. Save the model as model.safetensors."
            )
        raise FileNotFoundError(
            f"no base generator at {path}: train one with `e2gan train-base`, or pass --base FOLDER"
        )
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt"):
            pass
    except Exception as e:  # noqa: BLE001 - any parse failure means the same thing to the user
        raise ValueError(f"{weights} is not a valid safetensors file ({e}); nothing was loaded.") from None
    return path


def selected_pair_ids(project: Project) -> list[str] | None:
    """The curated training set (Curate step), or None to use every usable pair."""
    try:
        return list(atomic.read_json(project.curate_dir / "selection.json")["ids"])
    except (OSError, ValueError, KeyError):
        return None


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
) -> Run:
    """Start a new run and train it to the end (or until cancelled); returns the run."""
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
    metrics = evaluate_run(project, run, trainer.generator, device=trainer.device)
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


def trained_generator(run: Run, merge: bool = False) -> nn.Module:
    """A finished run's generator: the base with its LoRA adapter (merged if asked), or the whole model."""
    from e2gan import lora

    s = run.settings
    if s["mode"] != "lora":
        return load_generator(run.output_dir)
    generator = lora.load_adapter(load_generator(s["base"]), run.output_dir, copy_base=False)
    return lora.merge(generator) if merge else generator


def text_function(generator: nn.Module):
    """The prompt-embedding function a generator needs (none for pix2pix, which ignores text)."""
    config = getattr(_unwrap(generator), "config", None)
    if not isinstance(config, GeneratorConfig):
        return lambda prompts: TextEmbedding(torch.zeros(len(prompts), 1, 1), torch.ones(len(prompts), 1))
    return PromptCache(config.text_encoder, config.text_tokens).get


def _unwrap(model: nn.Module) -> nn.Module:
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _save_outputs(run: Run, s: dict, trainer: Trainer, data: PairData) -> None:
    g = trainer.generator
    if s["mode"] == "lora":
        info = {"base": s["base"], "prompt": s["prompt"], "ranks": s["lora"]["ranks"]}
        save_adapter(g, run.output_dir, info)
        stored = adapter_bytes(run.output_dir)
    else:
        g.save_pretrained(run.output_dir)
        stored = (run.output_dir / "model.safetensors").stat().st_size
    metrics = evaluate_on(g, trainer.text, data, s["pixel_scale"], trainer.device)
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


@torch.no_grad()
def evaluate_on(generator: nn.Module, text, data: PairData, pixel_scale: int, device, limit: int = 16) -> dict:
    """PSNR / SSIM of the student against the teacher on up to `limit` of its training pairs (centre
    crops): how well it fits the teacher. Held-out quality is `e2gan.evaluate`'s job."""
    generator.eval()
    src, tgt, prompts = data.fixed(range(min(limit, len(data))), pixel_scale)
    emb = text(prompts).to(device)
    out = generator(src.to(device), emb.tokens, emb.mask).float().cpu()
    generator.train()
    return {"fit_psnr": round(psnr(out, tgt), 3), "fit_ssim": round(ssim(out, tgt), 4)}


class RunStatus(TrainCallback):
    """Keeps the run's status.json current so other processes (the studio) can follow it."""

    def __init__(self, run: Run, every: int = 5):
        self.run, self.every = run, every

    def on_start(self, trainer, start_step):
        self.run.set_status("running", start_step, "starting" if start_step == 0 else f"resumed at step {start_step}")

    def on_step(self, trainer, step, losses):
        if step % self.every == 0:
            self.run.set_status("running", step, f"L1 {losses['g_l1']:.3f}")

