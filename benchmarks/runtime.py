"""Frames per second of the live runtime at a 256 px pixel scale on this CPU: PyTorch (filter pack), onnxruntime fp32, int8.

    python -m benchmarks.runtime [--threads 2] [--frames 30] [--pixel-scale 256]

End to end per frame, as the Try tab and `e2gan apply` run it: a 640x480 uint8 camera frame in, resized to
the filter's pixel scale, filtered, composed back onto the full frame (`e2gan.compose`). The filter is the default generator with a LoRA adapter
(random, trained-size weights); the exports are made and verified exactly as `e2gan export` makes them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.inference import calibration
from benchmarks.report import machine, publish, table
from e2gan.export.int8 import quantize
from e2gan.export.onnx_model import BakedFilter, export_onnx
from e2gan.lora import apply_lora, save_adapter
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.runtime import FilterPack, OnnxFilter
from e2gan.text.encoder import TextEmbedding


def fps(runner, frame: np.ndarray, frames: int) -> float:
    for _ in range(3):
        runner(frame)
    start = time.perf_counter()
    for _ in range(frames):
        runner(frame)
    return frames / (time.perf_counter() - start)


STAGES = ("decode", "resize", "network", "compose", "layout", "encode")


def try_tab_frame_ms(runner, frame: np.ndarray, frames: int, image_format: str) -> dict[str, float]:
    """Median ms per stage of one Try-tab frame, as the server does it: decode the PNG the browser sends
    (Gradio's own decoder), `e2gan.live.live_frame` (resize, network, compose, side-by-side layout), then
    encode the output as Gradio's image output does (`image_format`, written to its cache)."""
    import base64
    import io
    import statistics

    from gradio import image_utils, processing_utils
    from PIL import Image

    from e2gan.live import live_frame

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    per: dict[str, list[float]] = {k: [] for k in (*STAGES, "total")}
    with tempfile.TemporaryDirectory() as cache:
        for i in range(frames + 3):
            t0 = time.perf_counter()
            decoded = image_utils.decode_base64_to_image_array(data_url)
            t1 = time.perf_counter()
            shown = live_frame(runner, decoded, "side")
            t2 = time.perf_counter()
            processing_utils.save_img_array_to_cache(shown, cache, format=image_format)
            t3 = time.perf_counter()
            if i < 3:
                continue  # warm-up
            inside = runner.timing
            stages = {"decode": t1 - t0, **inside, "layout": (t2 - t1) - sum(inside.values()), "encode": t3 - t2, "total": t3 - t0}
            for k, v in stages.items():
                per[k].append(v * 1000)
    return {k: statistics.median(v) for k, v in per.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--pixel-scale", type=int, default=256, help="short side the filter runs at")
    parser.add_argument("--quick", action="store_true", help="seconds-long check: 2 frames at 64 px; publishes nothing")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.pixel_scale = 2, 64
    torch.set_num_threads(args.threads)
    info = machine()
    torch.manual_seed(0)
    base = Generator(GeneratorConfig(pixel_scale=args.pixel_scale)).eval()
    c = base.config
    text = TextEmbedding(torch.randn(1, c.text_tokens, c.text_dim), torch.ones(1, c.text_tokens))
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        adapted = apply_lora(base)
        with torch.no_grad():
            for n, p in adapted.named_parameters():
                if "lora_B" in n:
                    p.normal_(0, 0.02)
        save_adapter(adapted, Path(tmp) / "adapter")
        pack = FilterPack(base, lambda prompts: text, args.pixel_scale, "cpu")
        pack.add("filter", Path(tmp) / "adapter", "a prompt")
        pack.configure("filter")
        merged = BakedFilter(adapted.merge_and_unload(), text)
        fp32 = export_onnx(merged, Path(tmp) / "f.onnx", args.pixel_scale)
        int8 = quantize(fp32, Path(tmp) / "f.int8.onnx", calibration(args.pixel_scale))
        arms = {
            "PyTorch (filter pack)": pack,
            "onnxruntime fp32": OnnxFilter(fp32, args.pixel_scale, args.threads),
            "onnxruntime int8": OnnxFilter(int8, args.pixel_scale, args.threads),
        }
        results = {name: fps(runner, frame, args.frames) for name, runner in arms.items()}
        live = {f"{name}, {fmt}": try_tab_frame_ms(arms[name], frame, args.frames, fmt) for name in ("PyTorch (filter pack)", "onnxruntime int8") for fmt in ("webp", "jpeg")}
    base_fps = results["PyTorch (filter pack)"]
    rows = [[name, f"{v:.1f}", f"{1000 / v:.0f}", f"{v / base_fps:.2f}x"] for name, v in results.items()]
    live_rows = [[name, *(f"{ms[k]:.1f}" for k in STAGES), f"{ms['total']:.0f}", f"{1000 / ms['total']:.1f}"] for name, ms in live.items()]
    body = (
        f"640x480 frames filtered at {args.pixel_scale} px, {args.frames} frames after 3 warm-up, {args.threads} threads.\n\n"
        + table(["runtime", "fps", "ms / frame", "vs PyTorch"], rows)
        + "\n\nThe Try tab's whole per-frame path on the server (`e2gan.live.live_frame` between Gradio's own decode of "
        "the PNG the browser sends and its encode of the before | after image), median ms per stage:\n\n"
        + table(["runtime, output format", *STAGES, "total ms", "fps"], live_rows)
    )
    if args.quick:
        print(body)
        return
    publish("runtime", f"python -m benchmarks.runtime --threads {args.threads} --frames {args.frames} --pixel-scale {args.pixel_scale}", info, body, {"fps": results, "try_tab_ms": live})


if __name__ == "__main__":
    main()
