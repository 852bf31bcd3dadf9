"""Inference cost of the default E2GAN generator vs pix2pix's ResNet-9, measured side by side.

    python -m benchmarks.inference [--resolution 256] [--threads 2] [--repeats 20] [--device cuda]

Params, FLOPs (2 per multiply-add, attention included) and CPU latency at batch 1 in PyTorch and in
onnxruntime (fp32 and static int8, calibrated on the built-in photos), plus frames per second; every arm
in the same run, ratios against ResNet-9. With `--device cuda`: PyTorch latency on the GPU in fp32 and
under bf16 autocast (the studio's Try tab runs fp32 there), published as its own section.
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


def baked(config: GeneratorConfig) -> BakedFilter:
    """A random E2GAN generator baked with a random prompt: its cost does not depend on either."""
    g = Generator(config)
    text = TextEmbedding(torch.randn(1, config.text_tokens, config.text_dim), torch.ones(1, config.text_tokens))
    return BakedFilter(g, text).eval()


def network(model: torch.nn.Module) -> torch.nn.Module:
    """The generator inside an arm (what FLOPs and parameters are counted on)."""
    return model.generator if isinstance(model, BakedFilter) else model.g


def arms(resolution: int) -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {"E2GAN (default)": baked(GeneratorConfig(pixel_scale=resolution)), "pix2pix ResNet-9": ImageOnly(ResnetGenerator()).eval()}


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
            inner = network(model)
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


def measure_gpu(resolution: int, repeats: int, device: str) -> dict:
    """Batch-1 latency on a GPU, fp32 and bf16 autocast; every call waits for the GPU to finish."""
    x = torch.rand(1, 3, resolution, resolution, device=device)
    kind = torch.device(device).type
    sync = (lambda: torch.cuda.synchronize(device)) if kind == "cuda" else lambda: None  # any device: tests run it on a CPU
    results, models = {}, arms(resolution)
    for name, model in models.items():
        inner = network(model)
        row = {"params": count_params(inner), "gflops": count_flops(inner, resolution) / 1e9}
        model.to(device)
        for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            with torch.no_grad(), torch.autocast(kind, dtype=dtype, enabled=dtype != torch.float32):
                row[f"{precision}_ms"] = median_ms(lambda: (model(x), sync()), repeats, warmup=5)
        results[name] = row
    results["E2GAN (default)"]["pack_ms"] = pack_ms(models["E2GAN (default)"], resolution, repeats, device)
    return results


def pack_ms(model: BakedFilter, resolution: int, repeats: int, device: str) -> float:
    """A 640x480 camera frame through the runtime's filter pack (resize, network, compose), as Try runs it."""
    from e2gan.runtime import FilterPack

    text = TextEmbedding(model.text, model.mask)  # the prompt the baked filter carries
    pack = FilterPack(model.generator, lambda prompts: text, resolution, device)
    pack.text = text
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    return median_ms(lambda: pack(frame), repeats, warmup=5)


def gpu_body(r: dict, resolution: int, repeats: int) -> str:
    base = r["pix2pix ResNet-9"]
    rows = [
        [name, f"{m['gflops']:.1f}", f"{base['gflops'] / m['gflops']:.1f}x", f"{m['fp32_ms']:.2f}", f"{m['bf16_ms']:.2f}",
         f"{base['fp32_ms'] / m['fp32_ms']:.1f}x", f"{base['bf16_ms'] / m['bf16_ms']:.1f}x", f"{1000 / m['bf16_ms']:.0f}"]
        for name, m in r.items()
    ]  # fmt: skip
    return (
        f"Batch 1, {resolution}x{resolution}, PyTorch eager, median of {repeats} runs, each waiting for the GPU.\n\n"
        + table(["generator", "GFLOP", "FLOPs vs ResNet-9", "fp32 ms", "bf16 ms", "speed-up fp32", "speed-up bf16", "fps bf16"], rows)
        + f"\n\nThe runtime's filter pack on this GPU (fp32, as the Try tab runs it): a 640x480 frame resized to {resolution} px, "
        f"filtered and composed back in {r['E2GAN (default)']['pack_ms']:.1f} ms, {1000 / r['E2GAN (default)']['pack_ms']:.0f} fps."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--device", default="cpu", help="cpu (PyTorch and onnxruntime) or a CUDA device (PyTorch)")
    args = parser.parse_args()
    info = machine()
    if args.device != "cpu":
        r = measure_gpu(args.resolution, args.repeats, args.device)
        command = f"python -m benchmarks.inference --resolution {args.resolution} --repeats {args.repeats} --device {args.device}"
        publish(f"inference_{torch.device(args.device).type}", command, info, gpu_body(r, args.resolution, args.repeats), {"results": r})
        return
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
