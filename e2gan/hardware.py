"""What this machine can do: GPU or CPU, memory, and the training preset that fits it."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    device: str  # cuda | cpu
    name: str  # GPU name or CPU model
    cores: int
    memory_gb: float  # GPU memory on a GPU, RAM otherwise

    @property
    def recommended_preset(self) -> str:
        return "standard" if self.device == "cuda" else "quick"

    def describe(self) -> str:
        if self.device == "cuda":
            return f"GPU: {self.name} ({self.memory_gb:.0f} GB)"
        return f"CPU only: {self.name}, {self.cores} cores, {self.memory_gb:.0f} GB RAM — training runs, slowly; the Quick preset gives a first preview in minutes"


@functools.lru_cache(maxsize=1)
def detect() -> Hardware:
    import psutil
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Hardware("cuda", props.name, os.cpu_count() or 1, props.total_memory / 2**30)
    return Hardware("cpu", _cpu_name(), os.cpu_count() or 1, psutil.virtual_memory().total / 2**30)


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX-512 BF16 or AMX): there bf16 autocast trains about 25% faster
    at the same quality (BENCHMARKS.md, ablation: Recipe); elsewhere it is emulated and slower."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return bool({"avx512_bf16", "amx_bf16"} & set(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return False


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"
