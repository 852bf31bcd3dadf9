"""Training pairs in memory, and batches drawn from them deterministically by step number.

A batch depends only on (seed, step, process rank), never on a hidden RNG state, so a resumed run draws
exactly the batches an uninterrupted run would, and processes of a data-parallel run draw disjoint ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import torch

from e2gan import images
from e2gan.models.generator import DOWNSAMPLING

# Random crops start on multiples of the generator's total down-sampling. A stride-8 network is not
# shift-invariant: its 1/8-scale grid sits at a fixed phase against the frame it runs on. Crops on this
# lattice keep that phase the same in training as on a whole frame, so edits locked to the image grid
# (pixel art's blocks) stay learnable; a random offset would shift them against the network every step.
CROP_GRID = DOWNSAMPLING


@dataclass
class PairData:
    sources: list[torch.Tensor]  # uint8 (3, H, W) each; sizes may differ (crop policy "none")
    targets: list[torch.Tensor]  # same sizes as sources
    prompts: list[str]  # the edit prompt of each pair (many concepts → many prompts)
    ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("no training pairs: generate pairs first (Teach), or check the selection")
        if not (len(self.sources) == len(self.targets) == len(self.prompts)):
            raise ValueError("sources, targets and prompts must have the same length")
        for s, t in zip(self.sources, self.targets):
            if s.shape != t.shape:
                raise ValueError(f"a pair's source {tuple(s.shape)} and target {tuple(t.shape)} differ in size")
        self.ids = self.ids or [str(i) for i in range(len(self.sources))]

    def __len__(self) -> int:
        return len(self.sources)

    @classmethod
    def from_files(cls, records: Sequence[tuple[Path, Path, str, str]]) -> "PairData":
        """Load (source path, target path, prompt, id) records."""
        srcs, tgts, prompts, ids = [], [], [], []
        for src, tgt, prompt, pair_id in records:
            srcs.append(_load(src))
            tgts.append(_load(tgt))
            prompts.append(prompt)
            ids.append(pair_id)
        return cls(srcs, tgts, prompts, ids)

    @classmethod
    def from_arrays(cls, sources: Sequence[np.ndarray], targets: Sequence[np.ndarray], prompts: Sequence[str]):
        """From uint8 (H, W, 3) arrays."""
        to_t = lambda a: torch.from_numpy(np.array(a, dtype=np.uint8)).permute(2, 0, 1).contiguous()  # noqa: E731
        return cls([to_t(a) for a in sources], [to_t(a) for a in targets], list(prompts))

    def subset(self, indices: Sequence[int]) -> "PairData":
        return PairData(
            [self.sources[i] for i in indices],
            [self.targets[i] for i in indices],
            [self.prompts[i] for i in indices],
            [self.ids[i] for i in indices],
        )

    def batch(
        self,
        step: int,
        batch_size: int,
        crop: int,
        seed: int = 0,
        rank: int = 0,
        world: int = 1,
        augment: bool = True,
    ) -> Batch:
        """The batch for `step`: random crops of `crop` px, mirrored half the time when `augment`."""
        rng = np.random.default_rng([seed, step])
        picks = rng.integers(0, len(self), size=batch_size * world)[rank::world]
        crops = []
        for i in picks:
            s, t, window = _crop_pair(self.sources[i], self.targets[i], crop, rng if augment else None)
            if augment and rng.random() < 0.5:
                s, t, window = s.flip(-1), t.flip(-1), (window[0], window[1] + window[3], window[2], -window[3])
            crops.append((s, t, window))
        return _stack(crops, [self.prompts[i] for i in picks])

    def fixed(self, indices: Sequence[int], size: int) -> Batch:
        """Unaugmented, centre-cropped `size` squares (probe images for samples and evaluation)."""
        return _stack([_crop_pair(self.sources[i], self.targets[i], size, None) for i in indices], [self.prompts[i] for i in indices])


class Batch(NamedTuple):
    """Pairs ready for a generator: float in [-1, 1] (B, 3, R, R), prompts, and each crop's window in its
    frame, (top, left, height, width) as fractions (B, 4), for `e2gan.models.generator.frame_coordinates`."""

    source: torch.Tensor
    target: torch.Tensor
    prompts: list[str]
    window: torch.Tensor


def _stack(crops: list, prompts: list[str]) -> Batch:
    windows = torch.tensor([c[2] for c in crops], dtype=torch.float32)
    return Batch(to_float(torch.stack([c[0] for c in crops])), to_float(torch.stack([c[1] for c in crops])), prompts, windows)


def _load(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.array(images.load_rgb(path), dtype=np.uint8)).permute(2, 0, 1).contiguous()


def _crop_pair(s: torch.Tensor, t: torch.Tensor, res: int, rng: np.random.Generator | None):
    """Resize up if needed, then crop both images at the same place (random with `rng`, else centre).
    Returns the two crops and their window in the (resized) pair as fractions: (top, left, height, width)."""
    _, h, w = s.shape
    if min(h, w) < res:
        scale = res / min(h, w)
        size = (max(res, round(h * scale)), max(res, round(w * scale)))
        s, t = (torch.nn.functional.interpolate(x[None].float(), size, mode="bilinear", align_corners=False)[0].round().clamp(0, 255).to(torch.uint8) for x in (s, t))
        _, h, w = s.shape
    top = _offset(h - res, rng)
    left = _offset(w - res, rng)
    return s[:, top : top + res, left : left + res], t[:, top : top + res, left : left + res], (top / h, left / w, res / h, res / w)


def _offset(room: int, rng: np.random.Generator | None) -> int:
    """A crop's start: random on the `CROP_GRID` lattice with `rng`, else centred."""
    if rng is None:
        return CROP_GRID * (room // 2 // CROP_GRID)
    return CROP_GRID * int(rng.integers(0, room // CROP_GRID + 1))


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1]."""
    return x.float() / 127.5 - 1.0


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] → uint8 [0, 255]."""
    return ((x.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
