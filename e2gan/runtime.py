"""Step 8: run a trained filter on images and video frames.

A `Filter` holds a generator with its prompt's text embedding baked in; `filter(frame)` takes a uint8 RGB
frame of any size and returns one of the same size. Frames are resized so their short side is the
training resolution (a multiple of 8), filtered, and resized back: the cost per frame stays constant
whatever the camera's resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from e2gan.data import to_uint8
from e2gan.text.encoder import TextEmbedding


@dataclass
class Filter:
    generator: nn.Module
    text: TextEmbedding  # (1, T, D)
    resolution: int = 256
    device: str = "cpu"

    @torch.no_grad()
    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """uint8 (H, W, 3) → uint8 (H, W, 3)."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected a uint8 RGB frame (H, W, 3), got {frame.dtype} {frame.shape}")
        h, w = frame.shape[:2]
        work = work_size((w, h), self.resolution)
        x = frame if (w, h) == work else np.asarray(Image.fromarray(frame).resize(work, Image.Resampling.BILINEAR))
        t = torch.tensor(x).permute(2, 0, 1)[None].float().div(127.5).sub(1.0)
        out = self.generator(t.to(self.device), self.text.tokens.to(self.device), self.text.mask.to(self.device))
        y = to_uint8(out[0].float().cpu()).permute(1, 2, 0).numpy()
        return y if (w, h) == work else np.asarray(Image.fromarray(y).resize((w, h), Image.Resampling.BILINEAR))


def work_size(size: tuple[int, int], resolution: int) -> tuple[int, int]:
    """(w, h) with the short side at `resolution`, both multiples of 8."""
    w, h = size
    scale = resolution / min(w, h)
    return max(8, round(w * scale / 8) * 8), max(8, round(h * scale / 8) * 8)


def load_run_filter(project, run_id: str | None = None, device: str = "cpu") -> Filter:
    """The filter trained by a finished run (the newest by default), merged for speed."""
    from e2gan import lora
    from e2gan.finetune import text_function
    from e2gan.models.weights import load_generator
    from e2gan.runs import get_run

    run = get_run(project, run_id, finished=True)
    settings = run.settings
    if settings["mode"] == "lora":
        model = lora.merge(lora.load_adapter(load_generator(settings["base"]), run.output_dir, copy_base=False))
    else:
        model = load_generator(run.output_dir)
    model = model.eval().to(device)
    text = text_function(model)([settings["prompt"]])
    return Filter(model, text, settings["train"]["resolution"], device)
