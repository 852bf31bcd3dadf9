"""One GAN training loop for every way a generator is trained here.

`Trainer.fit` alternates a discriminator step and a generator step (conditional GAN + λ·L1 to the
teacher, `e2gan.losses`) over batches drawn deterministically by step (`e2gan.data`). Only parameters
with `requires_grad` train, so the same loop serves:

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
from e2gan.losses import LossConfig, discriminator_loss, generator_loss
from e2gan.models.discriminator import DiscriminatorConfig, PatchDiscriminator
from e2gan.progress import Cancelled
from e2gan.text.encoder import TextEmbedding


@dataclass
class TrainSettings:
    steps: int = 1000  # generator updates
    batch_size: int = 1  # per step, across all processes (pix2pix: 1)
    resolution: int = 256  # training crop size
    lr: float = 2e-4  # generator learning rate (Adam; pix2pix: 2e-4)
    lr_d: float = 2e-4  # discriminator learning rate
    beta1: float = 0.5  # Adam β1 (pix2pix: 0.5)
    decay_from: float = 0.5  # fraction of steps after which both learning rates decay linearly to 0
    gan_mode: str = "lsgan"  # see e2gan.losses
    l1_weight: float = 100.0  # λ for L1 to the teacher
    seed: int = 0  # model init and batch order
    augment: bool = True  # random crops and horizontal flips
    checkpoint_every: int = 200  # steps between checkpoints (and one at the end and on cancel)
    sample_every: int = 100  # steps between sample grids
    probe_count: int = 4  # pairs shown in sample grids
    precision: str = "auto"  # auto (bf16 on a GPU that has it, else fp32) | fp32 | bf16 | fp16
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
        if self.resolution % 8 or self.resolution < 32:
            raise ValueError("resolution must be a multiple of 8, at least 32")


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
        self.loss = LossConfig(settings.gan_mode, settings.l1_weight)
        self.g_params = [p for p in self.generator.parameters() if p.requires_grad]
        if not self.g_params:
            raise ValueError("the generator has no trainable parameters")
        betas = (settings.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.g_params, lr=settings.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=settings.lr_d, betas=betas)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast_dtype == torch.float16)
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
        self._fire("on_end", "done")
        return TrainResult("done", self.step, self.elapsed_s, losses)

    def train_step(self, step: int) -> dict[str, float]:
        """One discriminator update and one generator update; returns the losses."""
        s, G, D = self.settings, self.generator, self.discriminator
        self._set_lr(step)
        src, tgt, prompts = self.data.batch(
            step, s.batch_size, s.resolution, s.seed, self.dist.rank, self.dist.world, s.augment
        )
        src, tgt = src.to(self.device), tgt.to(self.device)
        emb = self.text(prompts).to(self.device)
        with self._autocast():
            fake = G(src, emb.tokens, emb.mask)
        # 1. Discriminator: teacher pairs are real, generator pairs are fake.
        D.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        with self._autocast():
            d_loss = discriminator_loss(D(src, tgt), D(src, fake.detach()), self.loss)
        self._check_finite(step, d=d_loss)
        self._update(d_loss, self.opt_d, list(D.parameters()))
        # 2. Generator: fool the discriminator and stay close to the teacher (L1).
        D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            g_loss, parts = generator_loss(D(src, fake), fake, tgt, self.loss)
        self._check_finite(step, g=g_loss)
        self._update(g_loss, self.opt_g, self.g_params)
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
        src, tgt, prompts = self.probe.fixed(range(n), self.settings.resolution)
        emb = self.text(prompts).to(self.device)
        with self._autocast():
            out = self.generator(src.to(self.device), emb.tokens, emb.mask).float().cpu()
        rows = [torch.cat(list(x), dim=2) for x in (src, tgt, out)]  # each (3, R, n*R)
        return to_uint8(torch.cat(rows, dim=1)).permute(1, 2, 0).numpy()

    def models(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

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


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if name == "fp32" or (name == "auto" and device.type != "cuda"):
        return None
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if name in ("bf16", "fp16"):
        return torch.bfloat16 if name == "bf16" else torch.float16
    raise ValueError(f"precision must be auto, fp32, bf16 or fp16, not {name!r}")


def training_flops_per_step(trainer: Trainer) -> int:
    """FLOPs of one training step (both updates), counted once on a real batch."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    saved = {k: v.clone() for k, v in trainer.generator.state_dict().items()}
    saved_d = {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}
    opt_state = copy.deepcopy((trainer.opt_g.state_dict(), trainer.opt_d.state_dict()))
    with counter:
        trainer.train_step(0)
    trainer.generator.load_state_dict(saved)
    trainer.discriminator.load_state_dict(saved_d)
    trainer.opt_g.load_state_dict(opt_state[0])
    trainer.opt_d.load_state_dict(opt_state[1])
    return counter.get_total_flops()

