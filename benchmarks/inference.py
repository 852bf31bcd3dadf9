"""Inference cost of the default E2GAN generator vs pix2pix's ResNet-9, measured side by side.

    python -m benchmarks.inference [--resolution 256] [--threads 2] [--repeats 20]

Params, FLOPs (2 per multiply-add, attention included) and CPU latency at batch 1 in PyTorch and in
onnxruntime (fp32 and static int8, calibrated on the built-in photos), plus frames per second; every arm
in the same run, ratios against ResNet-9.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.report import machine, median_ms, publish, table
from e2gan.export.int8 import quantize
from e2gan.export.onnx_model import INPUT, BakedFilter, export_onnx, session
from e2gan.models.flops import count_flops, count_params
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.models.resnet_generator import ResnetGenerator
from e2gan.text.encoder import TextEmbedding


class ImageOnly(torch.nn.Module):
    """ResNet-9 with the same [0, 1] contract as a baked E2GAN filter."""

    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, image):
        return (self.g(image * 2 - 1) + 1) * 0.5


def arms(resolution: int) -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    e2gan = Generator(GeneratorConfig(pixel_scale=resolution))
    text = TextEmbedding(torch.randn(1, e2gan.config.text_tokens, e2gan.config.text_dim), torch.ones(1, e2gan.config.text_tokens))
    return {"E2GAN (default)": BakedFilter(e2gan, text).eval(), "pix2pix ResNet-9": ImageOnly(ResnetGenerator()).eval()}


def calibration(resolution: int, n: int = 8) -> np.ndarray:
    """The built-in photos as float32 (N, 3, R, R) in [0, 1]."""
    from e2gan import images, samples

    out = []
    for _, load in list(samples.iter_samples())[:n]:
        img = images.normalise(images.decode_image(load())[0], resolution)
        out.append(np.asarray(img, np.float32).transpose(2, 0, 1) / 255)
    return np.stack(out)


def measure(resolution: int, threads: int, repeats: int) -> dict:
    torch.set_num_threads(threads)
    x = torch.rand(1, 3, resolution, resolution)
    calib = calibration(resolution)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in arms(resolution).items():
            inner = model.generator if hasattr(model, "generator") else model.g
            onnx_path = export_onnx(model, Path(tmp) / f"{len(results)}.onnx", resolution)
            sess = session(onnx_path, threads)
            feed = {INPUT: x.numpy()}
            with torch.no_grad():
                torch_ms = median_ms(lambda: model(x), repeats)
            ort_ms = median_ms(lambda: sess.run(None, feed), repeats)
            q_sess = session(quantize(onnx_path, Path(tmp) / f"{len(results)}.int8.onnx", calib), threads)
            int8_ms = median_ms(lambda: q_sess.run(None, feed), repeats)
            results[name] = {
                "params": count_params(inner),
                "gflops": count_flops(inner, resolution) / 1e9,
                "torch_ms": torch_ms,
                "ort_ms": ort_ms,
                "int8_ms": int8_ms,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    info = machine()
    r = measure(args.resolution, args.threads, args.repeats)
    base = r["pix2pix ResNet-9"]
    rows = []
    for name, m in r.items():
        rows.append([
            name, f"{m['params'] / 1e6:.2f} M", f"{m['gflops']:.1f}", f"{base['gflops'] / m['gflops']:.1f}x",
            f"{m['torch_ms']:.0f}", f"{m['ort_ms']:.0f}", f"{m['int8_ms']:.0f}", f"{base['ort_ms'] / m['ort_ms']:.1f}x",
            f"{1000 / m['ort_ms']:.1f}", f"{1000 / m['int8_ms']:.1f}",
        ])  # fmt: skip
    body = (
        f"Batch 1, {args.resolution}x{args.resolution}, {args.threads} threads, median of {args.repeats} runs.\n\n"
        + table(["generator", "params", "GFLOP", "FLOPs vs ResNet-9", "torch ms", "ORT fp32 ms", "ORT int8 ms", "speed-up (ORT fp32)", "fps fp32", "fps int8"], rows)
    )
    publish("inference", f"python -m benchmarks.inference --resolution {args.resolution} --threads {args.threads} --repeats {args.repeats}", info, body, {"results": r})


if __name__ == "__main__":
    main()
