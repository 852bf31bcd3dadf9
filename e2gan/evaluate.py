"""Step 6: how close a student is to its teacher on inputs it never trained on.

PSNR and SSIM are always available (no weights). FID (Inception-v3 features, as in the paper) and LPIPS
(AlexNet features) need downloaded network weights; they are computed when those load, and reported as
missing otherwise, never faked. FID over a few dozen images is noisy: read it as a ranking, not a score.
Images are compared in [0, 1]; the teacher's output is the reference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from e2gan.data import PairData, to_uint8


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean PSNR (dB) over a batch; inputs in [-1, 1], (B, 3, H, W)."""
    p = (pred.detach().float().clamp(-1, 1) + 1) / 2
    t = (target.detach().float().clamp(-1, 1) + 1) / 2
    mse = ((p - t) ** 2).flatten(1).mean(1).clamp(min=1e-10)
    return float((10 * torch.log10(1.0 / mse)).mean())


def ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM over a batch (Gaussian window σ=1.5, as in Wang et al. 2004)."""
    from skimage.metrics import structural_similarity

    p = ((pred.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
    t = ((target.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
    scores = [
        structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5)
        for a, b in zip(p, t)
    ]
    return float(np.mean(scores))


@functools.lru_cache(maxsize=1)
def _inception():
    """Inception-v3 pool features, or the reason they are unavailable."""
    try:
        from torchvision.models import Inception_V3_Weights, inception_v3

        model = inception_v3(weights=Inception_V3_Weights.IMAGENET1K_V1)  # torchvision loads tensors only (weights_only)
    except Exception as e:  # offline: no weights
        return None, f"FID needs Inception-v3 weights ({type(e).__name__})"
    model.fc = torch.nn.Identity()
    return model.eval(), ""


def fid(pred: torch.Tensor, target: torch.Tensor) -> float | None:
    """Fréchet Inception Distance between two batches in [-1, 1], or None without the weights."""
    model, _ = _inception()
    if model is None or len(pred) < 2:
        return None
    from scipy import linalg

    def features(x):
        x = torch.nn.functional.interpolate((x.float().clamp(-1, 1) + 1) / 2, size=(299, 299), mode="bilinear")
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        with torch.no_grad():
            return model((x - mean) / std).double().numpy()

    a, b = features(pred), features(target)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


@functools.lru_cache(maxsize=1)
def _lpips():
    try:
        import lpips

        return lpips.LPIPS(net="alex", verbose=False).eval(), ""
    except Exception as e:
        return None, f"LPIPS needs the lpips package and its weights ({type(e).__name__})"


def lpips_distance(pred: torch.Tensor, target: torch.Tensor) -> float | None:
    model, _ = _lpips()
    if model is None:
        return None
    with torch.no_grad():
        return float(model(pred.float().clamp(-1, 1), target.float().clamp(-1, 1)).mean())


@dataclass
class Evaluation:
    psnr: float
    ssim: float
    fid: float | None = None
    lpips: float | None = None
    images: int = 0
    missing: list[str] = field(default_factory=list)  # metrics not computed, and why

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@torch.no_grad()
def evaluate(generator, text_fn, data: PairData, resolution: int, device="cpu", batch: int = 8) -> tuple[Evaluation, torch.Tensor]:
    """Student vs teacher on `data` (centre crops); returns the metrics and the student's outputs."""
    generator.eval()
    src, tgt, prompts = data.fixed(range(len(data)), resolution)
    outs = []
    for i in range(0, len(src), batch):
        emb = text_fn(prompts[i : i + batch]).to(device)
        outs.append(generator(src[i : i + batch].to(device), emb.tokens, emb.mask).float().cpu())
    out = torch.cat(outs)
    missing = [reason for (m, reason) in (_inception(), _lpips()) if m is None]
    result = Evaluation(psnr(out, tgt), ssim(out, tgt), fid(out, tgt), lpips_distance(out, tgt), len(out), missing)
    return result, out


def grid(sources: torch.Tensor, teacher: torch.Tensor, student: torch.Tensor, size: int = 128) -> Image.Image:
    """Rows: photo, teacher, student; one column per image (for the eye)."""
    rows = []
    for x in (sources, teacher, student):
        x = torch.nn.functional.interpolate(x.float(), size=(size, size), mode="bilinear", align_corners=False)
        rows.append(torch.cat(list(x), dim=2))
    return Image.fromarray(to_uint8(torch.cat(rows, dim=1)).permute(1, 2, 0).numpy())
