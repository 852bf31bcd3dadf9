"""Step 6: how close a student is to its teacher on inputs it never trained on.

PSNR and SSIM are always available (no weights). FID (Inception-v3 features, as in the paper) and LPIPS
(AlexNet features) need downloaded network weights; they are computed when those load, and reported as
missing otherwise, never faked. FID over a few dozen images is noisy: read it as a ranking, not a score.
Images are compared in [0, 1]; the teacher's output is the reference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

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


def gmsd(pred: torch.Tensor, target: torch.Tensor, c: float = 0.0026) -> float:
    """Mean GMSD over a batch (gradient magnitude similarity deviation, Xue et al. 2014; 0 = same edges).

    Compares the luminance gradients' magnitudes pixel by pixel: a blurred or fringed stroke scores badly
    even where PSNR barely moves. Computed at full resolution (no 2x pre-filtering) so fine blur counts."""
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    prewitt = torch.tensor([[1.0, 0.0, -1.0]] * 3) / 3.0
    kernels = torch.stack([prewitt, prewitt.T])[:, None]  # (2, 1, 3, 3)

    def magnitude(x: torch.Tensor) -> torch.Tensor:
        lum = (((x.detach().float().cpu().clamp(-1, 1) + 1) / 2) * weights).sum(1, keepdim=True)
        g = torch.nn.functional.conv2d(lum, kernels)
        return g.pow(2).sum(1).sqrt()

    a, b = magnitude(pred), magnitude(target)
    gms = (2 * a * b + c) / (a * a + b * b + c)
    return float(gms.flatten(1).std(1).mean())


def _cached(url: str) -> bool:
    """Whether torch's hub cache already holds the weights at `url` (so loading them needs no network)."""
    from urllib.parse import urlparse

    return (Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name).is_file()


@functools.lru_cache(maxsize=2)
def _inception(download: bool = False):
    """Inception-v3 pool features, or the reason they are unavailable. Never downloads unless asked:
    finishing a training run must not fetch 100 MB behind the user's back."""
    from torchvision.models import Inception_V3_Weights, inception_v3

    weights = Inception_V3_Weights.IMAGENET1K_V1
    if not download and not _cached(weights.url):
        return None, "FID needs Inception-v3 weights (about 100 MB): `e2gan evaluate NAME --download-weights`"
    try:
        model = inception_v3(weights=weights)  # torchvision loads tensors only (weights_only)
    except Exception as e:  # offline: no weights
        return None, f"FID needs Inception-v3 weights, which could not be loaded ({type(e).__name__})"
    model.fc = torch.nn.Identity()
    return model.eval(), ""


def fid(pred: torch.Tensor, target: torch.Tensor, download: bool = False) -> float | None:
    """Fréchet Inception Distance between two batches in [-1, 1], or None without the weights."""
    model, _ = _inception(download)
    if model is None or len(pred) < 2:
        return None
    def features(x):
        x = torch.nn.functional.interpolate((x.float().clamp(-1, 1) + 1) / 2, size=(299, 299), mode="bilinear")
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        with torch.no_grad():
            return model((x - mean) / std).double().numpy()

    a, b = features(pred), features(target)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr √(Σa Σb) from the eigenvalues of Σa Σb (real, ≥ 0 for PSD matrices): stable where sqrtm is not,
    # which is always the case here (fewer images than the 2048 feature dimensions, so Σ is singular).
    eig = np.linalg.eigvals(cov_a @ cov_b).real
    tr_covmean = float(np.sqrt(np.clip(eig, 0, None)).sum())
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_covmean)


@functools.lru_cache(maxsize=2)
def _lpips(download: bool = False):
    """LPIPS (AlexNet features), or the reason it is unavailable; the same no-surprise-download rule."""
    from torchvision.models import AlexNet_Weights

    try:
        import lpips
    except ImportError:
        return None, "LPIPS needs the lpips package (pip install lpips)"
    if not download and not _cached(AlexNet_Weights.IMAGENET1K_V1.url):
        return None, "LPIPS needs AlexNet weights (about 230 MB): `e2gan evaluate NAME --download-weights`"
    try:
        return lpips.LPIPS(net="alex", verbose=False).eval(), ""
    except Exception as e:
        return None, f"LPIPS weights could not be loaded ({type(e).__name__})"


def lpips_distance(pred: torch.Tensor, target: torch.Tensor, download: bool = False) -> float | None:
    model, _ = _lpips(download)
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
def run_on_pairs(generator, text_fn, data: PairData, size: int, ids=None, batch: int = 8) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The one way to run a generator over pairs: centre squares at `size`, each batch moved to the device
    the generator's weights live on (a GPU-trained model stays there), outputs back on the CPU. Returns
    (photos, teacher edits, outputs) in [-1, 1]; the generator's train/eval mode is left as it was."""
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    src, tgt, prompts, window = data.fixed(range(len(data)) if ids is None else ids, size)
    outs = []
    for i in range(0, len(src), batch):
        emb = text_fn(prompts[i : i + batch]).to(device)
        outs.append(generator(src[i : i + batch].to(device), emb.tokens, emb.mask, window[i : i + batch].to(device)).float().cpu())
    generator.train(was_training)
    return src, tgt, torch.cat(outs)


def score_on_pairs(generator, text_fn, data: PairData, size: int, ids=None) -> dict[str, float]:
    """PSNR and SSIM of the generator against the teacher on pairs (see `run_on_pairs`)."""
    _, tgt, out = run_on_pairs(generator, text_fn, data, size, ids)
    return {"psnr": psnr(out, tgt), "ssim": ssim(out, tgt)}


def evaluate(generator, text_fn, data: PairData, pixel_scale: int, download: bool = False):
    """Student vs teacher on `data` (centre squares at the pixel scale: whole frames as the filter sees
    them, not training crops); returns the metrics and (photos, teacher edits, student outputs)."""
    src, tgt, out = run_on_pairs(generator, text_fn, data, pixel_scale)
    missing = [reason for (m, reason) in (_inception(download), _lpips(download)) if m is None]
    result = Evaluation(
        psnr(out, tgt), ssim(out, tgt), fid(out, tgt, download), lpips_distance(out, tgt, download), len(out), missing
    )
    return result, (src, tgt, out)


def grid(sources: torch.Tensor, teacher: torch.Tensor, student: torch.Tensor, size: int = 128) -> Image.Image:
    """Rows: photo, teacher, student; one column per image (for the eye)."""
    rows = []
    for x in (sources, teacher, student):
        x = torch.nn.functional.interpolate(x.float(), size=(size, size), mode="bilinear", align_corners=False)
        rows.append(torch.cat(list(x), dim=2))
    return Image.fromarray(to_uint8(torch.cat(rows, dim=1)).permute(1, 2, 0).numpy())


# -- a project's training run, judged on the pairs it did not train on ------------------------------------
EVAL_DIR = "eval"


def held_out_data(project, runs: list, limit: int = 32) -> tuple[PairData, bool]:
    """The project's pairs none of `runs` trained on (curation leaves most out), up to `limit`, so filters
    compared side by side are judged on the same photos and none on its own training photos. When there are
    none (a run trained on every pair), the first run's own pairs are used and the second value says so."""
    from e2gan import pairs

    trained = [run.settings.get("pair_ids") for run in runs]
    seen = set().union(*(ids for ids in trained if ids is not None))
    usable = [p.id for p in pairs.usable_pairs(project)]
    held = [i for i in usable if None not in trained and i not in seen]
    if held:
        return pairs.pair_data(project, _spread(held, limit)), True
    return pairs.pair_data(project, _spread(trained[0] or usable, limit)), False


def _spread(ids: list[str], limit: int) -> list[str]:
    """Up to `limit` ids spread over the list (photos are often added in batches of one kind)."""
    if len(ids) <= limit:
        return list(ids)
    return [ids[round(i * (len(ids) - 1) / (limit - 1))] for i in range(limit)]


def evaluate_run(project, run, generator=None, limit: int = 32, download: bool = False) -> dict:
    """Judge a finished run against its teacher; writes `eval/metrics.json` and `eval/grid.png` in the run."""
    from e2gan import atomic
    from e2gan.filters import text_function, trained_generator

    generator = generator if generator is not None else trained_generator(run)
    data, held_out = held_out_data(project, [run], limit)
    pixel_scale = run.settings["pixel_scale"]
    result, (src, tgt, out) = evaluate(generator, text_function(generator), data, pixel_scale, download=download)
    metrics = {**result.to_dict(), "held_out": held_out, "pixel_scale": pixel_scale}
    folder = run.root / EVAL_DIR
    folder.mkdir(exist_ok=True)
    picture = grid(src[:8], tgt[:8], out[:8])
    atomic.write_with(folder / "grid.png", lambda f: picture.save(f, format="PNG"))
    atomic.write_json(folder / "metrics.json", metrics)
    return metrics


def describe(metrics: dict) -> str:
    """One line for people: which pairs, and every metric that could be computed."""
    parts = [f"PSNR {metrics['psnr']:.2f} dB", f"SSIM {metrics['ssim']:.3f}"]
    parts += [f"FID {metrics['fid']:.1f}"] if metrics.get("fid") is not None else []
    parts += [f"LPIPS {metrics['lpips']:.3f}"] if metrics.get("lpips") is not None else []
    where = "pairs it did not train on" if metrics["held_out"] else "its own training pairs (no pair was left out)"
    return f"{', '.join(parts)} on {metrics['images']} {where}"
