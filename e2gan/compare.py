"""A filter next to its teacher, the way an artist judges it: photo | teacher | filter on photos the filter
did not train on, run through the same runtime path as the webcam, with a verdict in plain words.

The verdict's bands come from the quality benchmark (BENCHMARKS.md, quality): E2GAN filters whose grids
visibly reproduce the edit score 23–31 dB held-out PSNR there, pix2pix's softer ResNet-9 18.5–20.5 dB, and doing
nothing 9–12 dB. The verdict reads PSNR only; GMSD (0 = the same edges) is reported next to it because PSNR
scores a blurred stroke no worse than a harmless shift of tone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from e2gan.evaluate import gmsd, held_out_data, psnr, ssim

BANDS = (  # (lowest PSNR dB, verdict); the advice is what the quality benchmark shows helps: Standard is Quick's
    # recipe trained 2.5x as long, +1.1 dB there (BENCHMARKS.md, ablation)
    (24.0, "Very close to the teacher."),
    (21.0, "Close to the teacher: the edit is clearly there; the finest detail may be softer."),
    (18.0, "Recognisable but soft: the edit shows, details differ. Train longer (Standard) or add more varied photos."),
    (14.0, "Only partly there: the colours move towards the teacher's, the strokes and textures do not yet. "
           "Train longer (Standard) or add more varied photos."),  # fmt: skip
    (float("-inf"), "Far from the teacher: train longer, or check that the pairs show the edit."),
)


@dataclass
class Comparison:
    photos: list[np.ndarray]  # uint8 (H, W, 3) at the pixel scale
    teacher: list[np.ndarray]
    filtered: dict[str, list[np.ndarray]]  # run name → its outputs, in the order of the photos
    metrics: dict[str, dict[str, float]]  # run name → psnr, ssim, gmsd against the teacher
    held_out: bool  # False when every pair was trained on, so these are its own training photos

    def verdict(self, name: str) -> str:
        m = self.metrics[name]
        text = next(v for low, v in BANDS if m["psnr"] >= low)
        if not self.held_out:
            text += " (Judged on its own training photos: every pair was used for training.)"
        return text

    def rows(self, names: list[str] | None = None) -> list[np.ndarray]:
        """One image per photo: photo | teacher | each filter, side by side."""
        names = names or list(self.filtered)
        return [np.concatenate([p, t, *(self.filtered[n][i] for n in names)], axis=1) for i, (p, t) in enumerate(zip(self.photos, self.teacher))]


def compare_runs(project, run_ids: list[str], limit: int = 6) -> Comparison:
    """Photo | teacher | filter for finished runs of one project, on the pairs none of them trained on."""
    from e2gan.runs import get_run
    from e2gan.runtime import load_run_filter

    runs = [get_run(project, run_id, finished=True) for run_id in run_ids]
    data, held_out = held_out_data(project, runs, limit)
    photos = [s.permute(1, 2, 0).numpy() for s in data.sources]
    teacher = [t.permute(1, 2, 0).numpy() for t in data.targets]
    filtered, metrics = {}, {}
    for run in runs:
        pack = load_run_filter(project, run.id)
        outs = [pack(np.ascontiguousarray(p)) for p in photos]
        name = run.name if run.name not in filtered else f"{run.name} ({run.id})"
        filtered[name], metrics[name] = outs, _scores(outs, teacher)
    return Comparison(photos, teacher, filtered, metrics, held_out)


def _scores(outputs: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, float]:
    """Mean PSNR, SSIM and GMSD over the photos (one at a time: with crop policy "none" their sizes differ)."""
    to_t = lambda x: torch.from_numpy(x).permute(2, 0, 1)[None].float() / 127.5 - 1  # noqa: E731
    per = [(to_t(o), to_t(t)) for o, t in zip(outputs, targets)]
    return {name: float(np.mean([fn(o, t) for o, t in per])) for name, fn in (("psnr", psnr), ("ssim", ssim), ("gmsd", gmsd))}
