"""One GAN training loop for every way a generator is trained here.

`Trainer.fit` alternates a discriminator step and a generator step (conditional GAN + λ·(L1 + edge) to
the teacher, `e2gan.losses`) over batches drawn deterministically by step (`e2gan.data`). The first
`gan_from` fraction of the steps is a regression warm-up: no discriminator, so those steps cost about 0.7x
an adversarial one (BENCHMARKS.md, ablation_standard), and the generator is already close when the
adversarial term starts sharpening it. An exponential moving average of the trained weights (`ema`) is
what the run keeps: it does not end on the noise of its last few updates. Only parameters with `requires_grad` train, so the same loop serves:

    train_base   E2GAN from scratch on many concepts, text-conditioned (the shipped base)
    finetune     base + LoRA on the crucial layers (E2GAN), or base + full fine-tuning (baseline)
    scratch      E2GAN or pix2pix ResNet-9 from random weights on one concept (baselines)

Runs are safe: checkpoints are atomic (`e2gan.checkpoint`) every N steps and on cancel; `fit` resumes
from the last one and, because batches depend only on the step, reproduces the uninterrupted run;
a NaN/inf loss stops the run before it touches the weights and keeps the last good checkpoint. Under
`accelerate launch` the same code runs data-parallel: each process draws its share of the batch and
gradients are averaged across processes.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from e2gan import checkpoint
from e2gan.callbacks import TrainCallback
from e2gan.data import PairData, to_uint8
from e2gan.distributed import Distributed
from e2gan.evaluate import run_on_pairs
from e2gan.losses import LossConfig, discriminator_loss, generator_loss
from e2gan.models.discriminator import DiscriminatorConfig, PatchDiscriminator
from e2gan.models.generator import DOWNSAMPLING
from e2gan.progress import Cancelled
from e2gan.text.encoder import TextEmbedding


MAX_CROP = 1024  # the largest pixel scale a project may have


@dataclass
class TrainSettings:
    steps: int = 1000  # generator updates
    batch_size: int = 1  # per step, across all processes (pix2pix: 1)
    crop: int = 256  # training crop size in px, cut from pairs stored at the filter's pixel scale
    lr: float = 2e-4  # generator learning rate (Adam; pix2pix: 2e-4)
    lr_d: float = 2e-4  # discriminator learning rate
    beta1: float = 0.5  # Adam β1 (pix2pix: 0.5)
    decay_from: float = 0.5  # fraction of steps after which both learning rates decay linearly to 0
    gan_mode: str = "lsgan"  # see e2gan.losses
    l1_weight: float = 100.0  # λ for L1 to the teacher
    edge_weight: float = 0.0  # weight of the edge term (L1 of image gradients) next to L1
    gan_from: float = 0.0  # fraction of steps trained by regression alone before the adversarial term (1 = never)
    ema: float = 0.0  # decay of the moving average of trained weights kept at the end (0 = keep the last)
    seed: int = 0  # model init and batch order
    augment: bool = True  # random crops and horizontal flips
    checkpoint_every: int = 200  # steps between checkpoints (and one at the end and on cancel)
    sample_every: int = 100  # steps between sample grids
    probe_count: int = 4  # pairs shown in sample grids
    precision: str = "auto"  # auto (bf16 on a GPU that has it, else fp32) | fastest (also bf16 on a CPU with it) | fp32 | bf16 | fp16
    device: str = "auto"  # auto | cpu | cuda | cuda:N

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def validate(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not (self.lr > 0 and self.lr_d > 0):
            raise ValueError("learning rates must be positive")
        if self.crop % DOWNSAMPLING or self.crop < 32:
            raise ValueError(f"crop must be a multiple of {DOWNSAMPLING}, at least 32")
        if not 0 <= self.gan_from <= 1 or not 0 <= self.ema < 1:
            raise ValueError("gan_from must be in [0, 1] and ema in [0, 1)")
        if self.crop > MAX_CROP:
            raise ValueError(f"crop must be at most {MAX_CROP} px (pairs are stored at the project's pixel scale)")
        if min(self.checkpoint_every, self.sample_every, self.probe_count) < 1:
            raise ValueError("checkpoint_every, sample_every and probe_count must be at least 1")
        if self.seed < 0:
            raise ValueError("seed must be 0 or more")
        if not all(math.isfinite(v) for v in (self.lr, self.lr_d, self.l1_weight, self.edge_weight)) or min(self.l1_weight, self.edge_weight) < 0:
            raise ValueError("learning rates and loss weights must be finite, and the weights 0 or more")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the weights were not updated with it."""


@dataclass
class TrainResult:
    status: str  # done | cancelled
    steps: int
    wall_s: float
    losses: dict[str, float] = field(default_factory=dict)


TextFn = Callable[[list[str]], TextEmbedding]


class Trainer:
    """Trains `generator` on `data`; `text(prompts)` gives the prompts' token embeddings."""

    def __init__(
        self,
        generator: nn.Module,
        data: PairData,
        text: TextFn,
        settings: TrainSettings,
        run_dir: Path,
        callbacks: Sequence[TrainCallback] = (),
        discriminator: nn.Module | None = None,
        cancel: threading.Event | None = None,
        probe: PairData | None = None,
    ):
        settings.validate()
        self.settings, self.data, self.text = settings, data, text
        self.run_dir = Path(run_dir)
        self.callbacks = list(callbacks)
        self.cancel = cancel or threading.Event()
        self.probe = probe or data
        self.dist = Distributed()
        self.device = self.dist.device if self.dist.world > 1 else resolve_device(settings.device)
        self.autocast_dtype = resolve_precision(settings.precision, self.device)
        self.generator = generator.to(self.device)
        torch.manual_seed(settings.seed)
        self.discriminator = (discriminator or PatchDiscriminator(DiscriminatorConfig())).to(self.device)
        self.loss = LossConfig(settings.gan_mode, settings.l1_weight, settings.edge_weight)
        self.g_params = [p for p in self.generator.parameters() if p.requires_grad]
        if not self.g_params:
            raise ValueError("the generator has no trainable parameters")
        betas = (settings.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.g_params, lr=settings.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=settings.lr_d, betas=betas)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast_dtype == torch.float16)
        self.ema = EMA(self.generator, settings.ema) if settings.ema else None
        self.elapsed_s = 0.0
        self.step = 0

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    # -- the loop ---------------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        s = self.settings
        self.step = self._resume()
        self._fire("on_start", self.step)
        started = time.monotonic() - self.elapsed_s
        losses: dict[str, float] = {}
        try:
            while self.step < s.steps:
                if self.cancel.is_set():
                    raise Cancelled()
                losses = self.train_step(self.step)
                self.step += 1
                self.elapsed_s = time.monotonic() - started
                self._fire("on_step", self.step, losses)
                if self.step % s.sample_every == 0 or self.step == s.steps:
                    self._fire("on_samples", self.step, self.sample_grid())
                if self.step % s.checkpoint_every == 0 or self.step == s.steps:
                    self.save_checkpoint()
        except Cancelled:
            self.save_checkpoint()
            self._fire("on_end", "cancelled")
            return TrainResult("cancelled", self.step, self.elapsed_s, losses)
        except TrainingDiverged:
            self._fire("on_end", "diverged")
            raise
        if self.ema is not None:
            self.ema.copy_to(self.generator)  # what the run keeps: the average, not the last noisy step
        self._fire("on_end", "done")
        return TrainResult("done", self.step, self.elapsed_s, losses)

    def train_step(self, step: int) -> dict[str, float]:
        """One discriminator update and one generator update; returns the losses."""
        s, G, D = self.settings, self.generator, self.discriminator
        self._set_lr(step)
        src, tgt, prompts, window = self.data.batch(
            step, s.batch_size, s.crop, s.seed, self.dist.rank, self.dist.world, s.augment
        )
        src, tgt, window = src.to(self.device), tgt.to(self.device), window.to(self.device)
        emb = self.text(prompts).to(self.device)
        adversarial = step >= int(s.gan_from * s.steps)
        with self._autocast():
            fake = G(src, emb.tokens, emb.mask, window)
        # 1. Discriminator (after the warm-up): teacher pairs are real, generator pairs are fake.
        d_loss = torch.zeros((), device=self.device)
        if adversarial:
            D.requires_grad_(True)
            self.opt_d.zero_grad(set_to_none=True)
            with self._autocast():
                d_loss = discriminator_loss(D(src, tgt), D(src, fake.detach()), self.loss)
            self._check_finite(step, d=d_loss)
            self._update(d_loss, self.opt_d, list(D.parameters()))
        # 2. Generator: stay close to the teacher (L1 + edges) and, after the warm-up, fool the discriminator.
        D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            g_loss, parts = generator_loss(D(src, fake) if adversarial else None, fake, tgt, self.loss)
        self._check_finite(step, g=g_loss)
        self._update(g_loss, self.opt_g, self.g_params)
        if self.ema is not None:
            self.ema.update(self.generator)
        values = {"g_total": g_loss, "d": d_loss, **parts}
        return {k: round(self.dist.mean(v.detach().float()).item(), 6) for k, v in values.items()} | {
            "lr": self.opt_g.param_groups[0]["lr"]
        }

    def _update(self, loss: torch.Tensor, opt: torch.optim.Optimizer, params: list[nn.Parameter]) -> None:
        self.scaler.scale(loss).backward()
        self.dist.average_gradients(params)
        self.scaler.step(opt)
        self.scaler.update()

    def _check_finite(self, step: int, **losses: torch.Tensor) -> None:
        for name, value in losses.items():
            if not torch.isfinite(value).all():
                last = checkpoint.latest(self.checkpoint_dir)
                kept = f"the last good checkpoint ({last.name}) is kept" if last else "no checkpoint was saved yet"
                raise TrainingDiverged(
                    f"Training diverged at step {step + 1}: the {'discriminator' if name == 'd' else 'generator'} "
                    f"loss became {value.item()}. The weights were not updated with it and {kept}. "
                    "Lower the learning rate (or use fp32) and resume."
                )

    def _set_lr(self, step: int) -> None:
        s = self.settings
        start = int(s.steps * s.decay_from)
        factor = 1.0 if step < start else max(0.0, 1.0 - (step - start) / max(1, s.steps - start))
        for opt, base in ((self.opt_g, s.lr), (self.opt_d, s.lr_d)):
            for group in opt.param_groups:
                group["lr"] = base * factor

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    # -- samples and checkpoints -----------------------------------------------------------------
    @torch.no_grad()
    def sample_grid(self) -> np.ndarray:
        """(H, W, 3) uint8 grid: one column per probe pair; rows source, teacher, student."""
        n = min(self.settings.probe_count, len(self.probe))
        with self._autocast():
            src, tgt, out = run_on_pairs(self.generator, self.text, self.probe, self.settings.crop, range(n))
        rows = [torch.cat(list(x), dim=2) for x in (src, tgt, out)]  # each (3, R, n*R)
        return to_uint8(torch.cat(rows, dim=1)).permute(1, 2, 0).numpy()

    def models(self) -> dict[str, nn.Module]:
        models = {"generator": self.generator, "discriminator": self.discriminator}
        return models | ({"ema": self.ema} if self.ema is not None else {})

    def save_checkpoint(self) -> None:
        if not self.dist.is_main:
            self.dist.barrier()
            return
        path = checkpoint.save(
            self.checkpoint_dir,
            self.step,
            self.models(),
            {"generator": self.opt_g, "discriminator": self.opt_d},
            {"elapsed_s": self.elapsed_s, "settings": asdict(self.settings)},
        )
        self.dist.barrier()
        self._fire("on_checkpoint", self.step, path)

    def _resume(self) -> int:
        path = checkpoint.latest(self.checkpoint_dir)
        if path is None:
            return 0
        info = checkpoint.load(path, self.models(), {"generator": self.opt_g, "discriminator": self.opt_d})
        self.elapsed_s = info["meta"].get("elapsed_s", 0.0)
        return int(info["step"])

    def _fire(self, event: str, *args) -> None:
        if not self.dist.is_main:
            return
        for cb in self.callbacks:
            getattr(cb, event)(self, *args)


class EMA(nn.Module):
    """Exponential moving average of a model's trainable parameters (a module, so checkpoints hold it)."""

    def __init__(self, model: nn.Module, decay: float):
        super().__init__()
        self.decay = decay
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        for i, (_, p) in enumerate(self._trained(model)):
            self.register_buffer(f"p{i}", p.detach().clone())

    def _trained(self, model: nn.Module):
        params = dict(model.named_parameters())
        return [(n, params[n]) for n in self.names]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for i, (_, p) in enumerate(self._trained(model)):
            getattr(self, f"p{i}").lerp_(p.detach(), 1.0 - self.decay)

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        for i, (_, p) in enumerate(self._trained(model)):
            p.copy_(getattr(self, f"p{i}"))


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if name == "fastest" and device.type == "cpu":
        from e2gan.hardware import cpu_has_bf16

        return torch.bfloat16 if cpu_has_bf16() else None
    if name == "fp32" or (name in ("auto", "fastest") and device.type != "cuda"):
        return None
    if name in ("auto", "fastest"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if name in ("bf16", "fp16"):
        return torch.bfloat16 if name == "bf16" else torch.float16
    raise ValueError(f"precision must be auto, fastest, fp32, bf16 or fp16, not {name!r}")


def training_flops_per_step(trainer: Trainer, step: int = 0) -> int:
    """FLOPs of training step `step` (a warm-up step has no discriminator update), counted on a real batch;
    the trainer's weights, optimiser and moving average are left as they were."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    saved = {name: {k: v.clone() for k, v in m.state_dict().items()} for name, m in trainer.models().items()}
    opt_state = copy.deepcopy((trainer.opt_g.state_dict(), trainer.opt_d.state_dict()))
    with counter:
        trainer.train_step(step)
    for name, m in trainer.models().items():
        m.load_state_dict(saved[name])
    trainer.opt_g.load_state_dict(opt_state[0])
    trainer.opt_d.load_state_dict(opt_state[1])
    return counter.get_total_flops()


def training_flops(trainer: Trainer) -> float:
    """FLOPs of a whole run: its regression warm-up steps plus its adversarial steps."""
    s = trainer.settings
    warm = min(s.steps, int(s.gan_from * s.steps))
    total = warm * training_flops_per_step(trainer, 0) if warm else 0
    if s.steps > warm:
        total += (s.steps - warm) * training_flops_per_step(trainer, s.steps - 1)
    return float(total)

