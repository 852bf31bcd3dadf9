"""Choosing the default generator width: what each width costs per frame, measured side by side.

    python -m benchmarks.sizing [--threads 2] [--repeats 20]

The quality side of the choice is the architecture ablation (`benchmarks/ablation.py`, variants `arch` and
`width-*`: trained from scratch with seeds and judged on the quality benchmark's held-out crops). This
script gives the cost side for the same widths: parameters, FLOPs and onnxruntime fp32 latency at 256x256,
batch 1, with pix2pix's ResNet-9 measured in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from benchmarks.inference import ImageOnly, baked, network
from benchmarks.report import machine, median_ms, publish, table
from e2gan.export.onnx_model import INPUT, export_onnx, session
from e2gan.models.flops import count_flops, count_params
from e2gan.models.generator import GeneratorConfig
from e2gan.models.resnet_generator import ResnetGenerator

WIDTHS = [(8, 32), (12, 48), (16, 64), (24, 96)]  # (width, attention width); the ablation's width-* variants
RESOLUTION = 256


def networks(widths: list[tuple[int, int]]) -> dict[str, torch.nn.Module]:
    """Each width as a baked filter, then ResNet-9."""
    torch.manual_seed(0)
    out = {f"{width} / {attn}": baked(GeneratorConfig(width=width, attn_width=attn)) for width, attn in widths}
    return out | {"pix2pix ResNet-9": ImageOnly(ResnetGenerator()).eval()}


def cost(net: torch.nn.Module, threads: int, repeats: int) -> dict:
    inner = network(net)
    with tempfile.TemporaryDirectory() as tmp:
        sess = session(export_onnx(net, Path(tmp) / "g.onnx", RESOLUTION), threads)
        x = torch.rand(1, 3, RESOLUTION, RESOLUTION).numpy()
        ms = median_ms(lambda: sess.run(None, {INPUT: x}), repeats)
    return {"params": count_params(inner), "gflops": count_flops(inner, RESOLUTION) / 1e9, "ort_ms": ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="seconds-long run: two widths, 2 repeats; prints, publishes nothing")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 2
    torch.set_num_threads(args.threads)
    info = machine()
    results = {name: cost(net, args.threads, args.repeats) for name, net in networks(WIDTHS[:2] if args.quick else WIDTHS).items()}
    ref = results["pix2pix ResNet-9"]
    rows = [
        [name, f"{m['params'] / 1e6:.2f} M", f"{m['gflops']:.1f}", f"{ref['gflops'] / m['gflops']:.1f}x", f"{m['ort_ms']:.0f}",
         f"{ref['ort_ms'] / m['ort_ms']:.1f}x", f"{1000 / m['ort_ms']:.0f}"]
        for name, m in results.items()
    ]  # fmt: skip
    body = (
        f"Batch 1, {RESOLUTION}x{RESOLUTION}, onnxruntime fp32, {args.threads} threads, median of {args.repeats} runs; "
        "ratios against pix2pix's ResNet-9 in the same run.\n\n"
        + table(["width / attention width", "params", "GFLOP", "fewer FLOPs", "ORT ms", "lower latency", "fps"], rows)
    )
    print(body)
    if not args.quick:
        publish("sizing", f"python -m benchmarks.sizing --threads {args.threads} --repeats {args.repeats}", info, body, {"results": results})


if __name__ == "__main__":
    main()
