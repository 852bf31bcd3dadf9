"""Image embedders for curation: CLIP (open_clip) when its weights are available, an offline one always.

`OfflineEmbedder` needs no weights: a 448-d descriptor of colour (HSV histogram), layout (a tiny Lab
thumbnail) and texture (gradient-orientation histograms on a 4x4 grid), each part L2-normalised.
Strengths: instant on a CPU, deterministic, good at telling apart palettes, compositions and textures —
which is most of what separates edits of the same photos. Limits: no semantics (a cat and a dog of the same
colours look alike); use CLIP for that.

`ClipEmbedder` uses open_clip's image tower: `clip:ViT-B-32/laion2b_s34b_b79k` downloads on first use
(cached by huggingface_hub), `clip:MODEL//path/weights.safetensors` loads a local file.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
from PIL import Image

DEFAULT_EMBEDDER = "offline"


class Embedder:
    name: str
    dim: int

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        """(N, dim) float32, each row L2-normalised."""
        raise NotImplementedError


class OfflineEmbedder(Embedder):
    name = "offline"
    dim = 448

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        return np.stack([_normalise(self._one(np.asarray(img.convert("RGB").resize((128, 128))))) for img in images])

    @staticmethod
    def _one(rgb: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
        colour = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
        lab = cv2.cvtColor(cv2.resize(rgb, (8, 8), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB)
        layout = lab.astype(np.float32).ravel() - 128.0
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
        mag, ang = cv2.cartToPolar(gx, gy)
        bins = (ang / (2 * np.pi) * 8).astype(int) % 8
        texture = np.zeros((4, 4, 8), np.float32)
        cells = (np.arange(128) // 32)
        np.add.at(texture, (cells[:, None].repeat(128, 1), cells[None, :].repeat(128, 0), bins), mag)
        return np.concatenate([_normalise(colour), _normalise(layout), _normalise(texture.ravel())])


class ClipEmbedder(Embedder):
    def __init__(self, model_name: str = "ViT-B-32", pretrained: str | None = "laion2b_s34b_b79k"):
        from e2gan.clip_model import load_open_clip

        self.model, self.preprocess, _ = load_open_clip(model_name, pretrained)
        self.name = f"clip:{model_name}/{pretrained or ''}"
        self.dim = int(self.model.visual.output_dim)

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        import torch

        out = []
        with torch.no_grad():
            for start in range(0, len(images), 32):
                batch = torch.stack([self.preprocess(img.convert("RGB")) for img in images[start : start + 32]])
                out.append(self.model.encode_image(batch, normalize=True).float().numpy())
        return np.concatenate(out).astype(np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """`offline`, or `clip:MODEL/PRETRAINED` (a tag or a .safetensors path)."""
    if name == "offline":
        return OfflineEmbedder()
    kind, _, arg = name.partition(":")
    if kind == "clip":
        model, _, pretrained = arg.partition("/")
        return ClipEmbedder(model or "ViT-B-32", pretrained or None)
    raise ValueError(f"unknown embedder {name!r}: use 'offline' or 'clip:MODEL/PRETRAINED'")


def _normalise(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float32)
    return v / (np.linalg.norm(v) + 1e-8)
