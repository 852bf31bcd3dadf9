"""Numerical checks of an export against its reference: max absolute error and PSNR, plus latency."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

FP32_MAX_ABS = 1e-4  # fp32 ONNX vs PyTorch: the same maths, only summation order differs
INT8_MIN_PSNR = 28.0  # int8 vs fp32 (dB). Our models land at 29–35 dB; below 28 dB quantisation visibly
# changes the filter, the int8 export fails verification and the fp32 one should be used.


@dataclass
class Parity:
    name: str
    reference: str
    max_abs: float
    psnr: float
    passed: bool
    threshold: str
    images: int

    def to_dict(self) -> dict:
        return asdict(self)


def compare(name: str, reference: str, out: np.ndarray, ref: np.ndarray, *, max_abs: float | None = None, min_psnr: float | None = None) -> Parity:
    """Compare two [0, 1] image batches; pass/fail by a max-abs bound or a PSNR floor."""
    diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
    mse = float(np.mean(diff**2))
    value = float(10 * np.log10(1.0 / mse)) if mse > 0 else float("inf")
    err = float(diff.max())
    if max_abs is not None:
        return Parity(name, reference, err, value, err <= max_abs, f"max abs ≤ {max_abs:g}", len(out))
    return Parity(name, reference, err, value, value >= (min_psnr or 0), f"PSNR ≥ {min_psnr:g} dB", len(out))


def same_model(name: str, reference: str, path, reference_path) -> Parity:
    """A build that ships a verified model file unchanged (the phone page runs the fp32 ONNX in
    onnxruntime-web): it passes when the two files are byte for byte the same."""
    import hashlib
    from pathlib import Path

    digest = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()  # noqa: E731
    same = digest(path) == digest(reference_path)
    return Parity(name, reference, 0.0 if same else 1.0, 99.0 if same else 0.0, same, "the same model file (sha256)", 0)  # JSON has no inf


def latency_ms(run, repeats: int = 10, warmup: int = 2) -> float:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
