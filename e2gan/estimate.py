"""How long and how much memory a training run will take on this machine, before it runs.

The cost of a step is measured, not guessed: a few real training steps of the chosen method (LoRA, full
fine-tune, E2GAN from scratch or pix2pix) with the run's own settings (`Preset.train_settings`: crops, batch,
precision, moving average), once per process and recipe, for regression warm-up steps and adversarial steps
apart. Time = Σ steps × seconds per step; memory is the peak the measured steps needed (GPU allocator peak,
or growth of this process's resident memory on a CPU).
"""

from __future__ import annotations

import functools
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from e2gan.presets import Preset

if TYPE_CHECKING:
    from e2gan.train import TrainSettings


UNTIMED = 2  # steps run before timing: the first ones pay for allocation and kernel setup


@dataclass(frozen=True)
class Estimate:
    steps: int
    seconds: float
    memory_mb: float
    seconds_per_step: float

    def describe(self) -> str:
        from e2gan.progress import format_duration

        return f"{self.steps} steps · about {format_duration(self.seconds)} · ~{self.memory_mb:.0f} MB"


def estimate(preset: Preset, n_pairs: int, device: str = "auto", mode: str = "lora") -> Estimate:
    """Warm-up steps (no discriminator) and adversarial steps are timed separately: an adversarial step
    costs ~1.4x a regression one (BENCHMARKS.md, ablation_standard)."""
    run = preset.train_settings(n_pairs, mode, device=device)
    warm = min(run.steps, int(run.gan_from * run.steps))
    seconds, memory = 0.0, 0.0
    for count, adversarial in ((warm, False), (run.steps - warm, True)):
        if count:
            per_step, mem = step_cost(run, mode, adversarial)
            seconds, memory = seconds + count * per_step, max(memory, mem)
    return Estimate(run.steps, seconds, memory, seconds / run.steps)


def step_cost(
    run: "TrainSettings", mode: str = "lora", adversarial: bool = True, steps: int = 5
) -> tuple[float, float]:
    """(seconds per training step, peak extra memory in MB) of `run`'s recipe for `mode` on the default
    generator: its crops, batch, precision (bf16 autocast changes a CPU step's cost by tens of percent) and
    moving average, measured once per process and recipe."""
    timed = step_settings(run, adversarial, steps)
    return _timed_steps(mode, tuple(sorted(asdict(timed).items())))


def step_settings(run: "TrainSettings", adversarial: bool, steps: int = 5) -> "TrainSettings":
    """`run` cut to `UNTIMED` and `steps` timed steps of one kind, without checkpoints or samples."""
    return replace(run, steps=UNTIMED + steps, gan_from=0.0 if adversarial else 1.0, checkpoint_every=10**9,
                   sample_every=10**9)  # fmt: skip


@functools.lru_cache(maxsize=16)
def _timed_steps(mode: str, settings_items: tuple) -> tuple[float, float]:
    """The median of the timed steps after `UNTIMED` ones; settings as hashable items, so the cache keys on
    the whole recipe."""
    import numpy as np
    import psutil
    import torch

    from e2gan.data import PairData
    from e2gan.text.encoder import TextEmbedding
    from e2gan.train import Trainer, TrainSettings, resolve_device

    settings = TrainSettings(**dict(settings_items))
    dev = resolve_device(settings.device)
    settings = replace(settings, device=str(dev))
    crop = settings.crop
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (crop, crop, 3), dtype=np.uint8) for _ in range(2)]
    data = PairData.from_arrays(imgs, imgs[::-1], ["x", "y"])
    g, (tokens, dim) = _model(mode)
    text = lambda p: TextEmbedding(torch.zeros(len(p), tokens, dim), torch.ones(len(p), tokens))  # noqa: E731
    rss = psutil.Process().memory_info().rss
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(g, data, text, settings, Path(tmp))
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for step in range(UNTIMED):
            trainer.train_step(step)
        times = []
        for step in range(UNTIMED, settings.steps):
            start = time.perf_counter()
            trainer.train_step(step)
            times.append(time.perf_counter() - start)
        per_step = statistics.median(times)
    if dev.type == "cuda":
        memory = torch.cuda.max_memory_allocated() / 2**20
    else:
        memory = max(psutil.Process().memory_info().rss - rss, 0) / 2**20 + 200  # + the model and data
    return per_step, memory


def _model(mode: str):
    """A freshly initialised model that trains like `mode` does, and its text shape (tokens, dim)."""
    from e2gan.lora import apply_lora
    from e2gan.models.generator import Generator, GeneratorConfig
    from e2gan.models.resnet_generator import ResnetGenerator

    if mode == "pix2pix":
        return ResnetGenerator(), (1, 1)
    g = Generator(GeneratorConfig())
    shape = (g.config.text_tokens, g.config.text_dim)
    return (apply_lora(g) if mode == "lora" else g), shape


# Extra memory of one training step per 128 px crop in the batch (fp32, CPU resident growth, measured with
# `step_cost`: E2GAN 22 MB with LoRA, pix2pix's ResNet-9 60 MB), with a 2x margin; plus ~300 MB of models.
MB_PER_128PX_CROP = {"pix2pix": 120.0, "default": 50.0}


def training_memory_mb(crop: int, batch_size: int, mode: str = "lora") -> float:
    """A cheap upper estimate of a training run's memory, to refuse settings that cannot fit before any work."""
    per = MB_PER_128PX_CROP["pix2pix" if mode == "pix2pix" else "default"]
    return 300.0 + batch_size * (crop / 128) ** 2 * per


def check_fits(crop: int, batch_size: int, mode: str = "lora", device: str = "auto") -> None:
    """Raise ValueError naming the memory needed when a run's crops and batch cannot fit on the device."""
    import psutil
    import torch

    from e2gan.train import resolve_device

    dev = resolve_device(device)
    if dev.type == "cuda":
        free = torch.cuda.mem_get_info(dev)[0] / 2**20
        where = f"{torch.cuda.get_device_name(dev)} has {free / 1024:.1f} GB free"
    else:
        free = psutil.virtual_memory().available / 2**20
        where = f"this computer has {free / 1024:.1f} GB of memory free"
    need = training_memory_mb(crop, batch_size, mode)
    if need > free:
        raise ValueError(f"batch {batch_size} of {crop} px crops needs about {need / 1024:.1f} GB to train and {where}: "
                         "lower --batch-size or --crop")  # fmt: skip
