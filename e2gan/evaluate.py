"""Quality of a student against its teacher: PSNR and SSIM on held-out inputs (offline, always available).

Images are compared as float in [0, 1]; the teacher's output is the reference. FID and LPIPS need
downloaded network weights and are added by `e2gan.metrics_extra` when those are present.
"""

from __future__ import annotations

import numpy as np
import torch


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean PSNR (dB) over a batch; inputs in [-1, 1], (B, 3, H, W)."""
    p = (pred.detach().float().clamp(-1, 1) + 1) / 2
    t = (target.detach().float().clamp(-1, 1) + 1) / 2
    mse = ((p - t) ** 2).flatten(1).mean(1).clamp(min=1e-10)
    return float((10 * torch.log10(1.0 / mse)).mean())


def ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM over a batch (luminance, Gaussian window σ=1.5, as in Wang et al. 2004)."""
    from skimage.metrics import structural_similarity

    p = ((pred.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
    t = ((target.detach().float().clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).cpu().numpy()
    scores = [
        structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5)
        for a, b in zip(p, t)
    ]
    return float(np.mean(scores))
