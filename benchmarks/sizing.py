"""Choosing the default generator width: quality vs FLOPs vs CPU latency, measured side by side.

    python -m benchmarks.sizing [--steps 600] [--pixel-scale 128]

Each width is trained from scratch, text-conditioned, on the same multi-concept pairs (built-in offline
teachers over the built-in photos, 4 photos held out) for the same number of steps and seed; quality is
PSNR against the teacher on the held-out photos. FLOPs and onnxruntime latency are at 256x256, batch 1.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from benchmarks.report import machine, median_ms, publish, table
from e2gan.base_model import concept_pairs
from e2gan.evaluate import score_on_pairs
from e2gan.export.onnx_model import INPUT, BakedFilter, export_onnx, session
from e2gan.models.flops import count_flops, count_params
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.text.cache import PromptCache
from e2gan.train import Trainer, TrainSettings

WIDTHS = [(8, 32), (12, 48), (16, 64), (24, 96), (32, 128)]
CONCEPTS = ["cartoon", "pencil_sketch", "watercolour"]


def split(data, n_photos: int, held_out: int):
    """Hold out the last `held_out` photos of every concept."""
    train_idx, eval_idx = [], []
    for i in range(len(data)):
        (eval_idx if i % n_photos >= n_photos - held_out else train_idx).append(i)
    return data.subset(train_idx), data.subset(eval_idx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--pixel-scale", type=int, default=128, help="pairs are made and trained at this scale (whole squares)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="seconds-long run: two widths, 2 steps, 64 px; prints, publishes nothing")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.pixel_scale = 2, 64
    torch.set_num_threads(args.threads)
    info = machine()
    res = args.pixel_scale
    data = concept_pairs(CONCEPTS, res)
    n_photos = len(data) // len(CONCEPTS)
    train_data, eval_data = split(data, n_photos, 4)
    rows, results = [], {}
    for width, attn in WIDTHS[:2] if args.quick else WIDTHS:
        config = GeneratorConfig(width=width, attn_width=attn, heads=2 if attn < 96 else 4, pixel_scale=res)
        torch.manual_seed(0)
        g = Generator(config)
        text = PromptCache(config.text_encoder, config.text_tokens).get
        settings = TrainSettings(steps=args.steps, crop=res, checkpoint_every=10**9, sample_every=10**9, seed=0)
        with tempfile.TemporaryDirectory() as tmp:
            result = Trainer(g, train_data, text, settings, Path(tmp)).fit()
            quality = score_on_pairs(g, text, eval_data, res)["psnr"]
            baked = BakedFilter(g.eval(), text([eval_data.prompts[0]]))
            sess = session(export_onnx(baked, Path(tmp) / "g.onnx", 256), args.threads)
            x = torch.rand(1, 3, 256, 256).numpy()
            ort_ms = median_ms(lambda: sess.run(None, {INPUT: x}), 10)
        m = {
            "params": count_params(g), "gflops": count_flops(g, 256) / 1e9, "ort_ms": ort_ms,
            "psnr": quality, "train_s": result.wall_s,
        }  # fmt: skip
        results[f"{width}/{attn}"] = m
        rows.append([f"{width} / {attn}", f"{m['params'] / 1e6:.2f} M", f"{m['gflops']:.1f}", f"{m['ort_ms']:.0f}", f"{1000 / m['ort_ms']:.0f}", f"{m['psnr']:.2f}", f"{m['train_s']:.0f}"])
        print(rows[-1], flush=True)
    body = (
        f"{len(CONCEPTS)} concepts ({', '.join(CONCEPTS)}), {len(train_data)} training / {len(eval_data)} held-out pairs, "
        f"{args.steps} steps at {res}px from scratch, seed 0. Latency: onnxruntime fp32, batch 1, 256x256, {args.threads} threads.\n\n"
        + table(["width / attention width", "params", "GFLOP @256", "ORT ms", "fps", "held-out PSNR dB", "train s"], rows)
    )
    if args.quick:
        print(body)
        return
    publish("sizing", f"python -m benchmarks.sizing --steps {args.steps} --pixel-scale {res} --threads {args.threads}", info, body, {"results": results})


if __name__ == "__main__":
    main()
