"""Benchmark scripts still run (tiny sizes; their structure is checked, never their timings)."""

from __future__ import annotations

from benchmarks import inference


def test_inference_benchmark_measures_both_arms():
    results = inference.measure(resolution=64, threads=1, repeats=1)
    assert set(results) == {"E2GAN (default)", "pix2pix ResNet-9"}
    for m in results.values():
        assert m["params"] > 0 and m["gflops"] > 0 and m["ort_ms"] > 0 and m["torch_ms"] > 0 and m["int8_ms"] > 0
    assert results["pix2pix ResNet-9"]["gflops"] > 10 * results["E2GAN (default)"]["gflops"]
