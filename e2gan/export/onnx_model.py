"""Export a filter to ONNX: LoRA merged, the prompt's text conditioning baked in, image in → image out.

Contract (the same for every export, so pre/post-processing never mismatches): input `image`, float32
RGB (N, 3, H, W) in [0, 1], H and W multiples of 8; output `image_out`, the same. N, H and W are dynamic.

We use torch's TorchScript-based exporter at opset 17 by default: it exports this network in under a
second (the dynamo exporter takes ~12 s for the same graph, with the same ~3e-6 parity), and opset 17 runs
on older mobile and web runtimes. The dynamo exporter is used when the other is unavailable.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from e2gan import atomic
from e2gan.text.encoder import TextEmbedding

OPSET = 17
INPUT, OUTPUT = "image", "image_out"


class BakedFilter(nn.Module):
    """A generator with its prompt's embedding as constants, mapping [0, 1] images to [0, 1] images."""

    def __init__(self, generator: nn.Module, text: TextEmbedding):
        super().__init__()
        self.generator = generator
        self.register_buffer("text", text.tokens[:1].detach().clone())
        self.register_buffer("mask", text.mask[:1].detach().clone())

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        b = image.shape[0]
        out = self.generator(image * 2.0 - 1.0, self.text.expand(b, -1, -1), self.mask.expand(b, -1))
        return (out + 1.0) * 0.5


def export_onnx(model: nn.Module, path: str | Path, resolution: int = 256, opset: int = OPSET) -> Path:
    """Export a `BakedFilter` (or any [0,1]→[0,1] image module) to `path`, atomically."""
    path = Path(path)
    model = model.eval().cpu()
    example = torch.rand(2, 3, resolution, resolution)  # batch 2: a batch of 1 would be specialised
    with atomic.atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model,
                (example,),
                str(tmp),
                input_names=[INPUT],
                output_names=[OUTPUT],
                opset_version=opset,
                dynamic_axes={INPUT: {0: "batch", 2: "height", 3: "width"}, OUTPUT: {0: "batch", 2: "height", 3: "width"}},
                dynamo=False,
            )
        except (TypeError, RuntimeError, AttributeError):
            batch, h8, w8 = (torch.export.Dim(n, min=1, max=m) for n, m in (("batch", 256), ("h8", 512), ("w8", 512)))
            torch.onnx.export(
                model, (example,), str(tmp), input_names=[INPUT], output_names=[OUTPUT], dynamo=True,
                dynamic_shapes={"image": {0: batch, 2: 8 * h8, 3: 8 * w8}},
            )  # fmt: skip
    return path


def session(path: str | Path, threads: int | None = None):
    """An onnxruntime CPU session; `threads` caps intra-op threads (None: onnxruntime's default)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
