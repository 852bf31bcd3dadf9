"""Benchmark scripts still run (tiny sizes; their structure is checked, never their timings)."""

from __future__ import annotations

from benchmarks import inference


def test_inference_benchmark_measures_both_arms():
    results = inference.measure(resolution=64, threads=1, repeats=1)
    assert set(results) == {"E2GAN (default)", "pix2pix ResNet-9"}
    for m in results.values():
        assert m["params"] > 0 and m["gflops"] > 0 and m["ort_ms"] > 0 and m["torch_ms"] > 0 and m["int8_ms"] > 0
    assert results["pix2pix ResNet-9"]["gflops"] > 10 * results["E2GAN (default)"]["gflops"]


import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    "module,rows",
    [
        ("benchmarks.cost", ["(a) pix2pix", "(b) E2GAN from scratch", "(c) base + full", "(d) base + LoRA", "(e) base + LoRA, clustered"]),
        ("benchmarks.data_reduction", ["clustered subset", "random subset", "all pairs"]),
        ("benchmarks.base_transfer", ["base on 12 concepts + LoRA", "base on 1 concept", "no base"]),
    ],
)
def test_quick_mode_prints_every_arm(module, rows):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", module, "--quick", "--threads", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    table = [line for line in out.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows)  # header, rule, one row per arm
    for row, name in zip(table[2:], rows):
        assert name in row
