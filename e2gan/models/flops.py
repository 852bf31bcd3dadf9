"""Count a generator's FLOPs per forward pass (2 per multiply-add), attention included.

torch's FlopCounterMode counts convolutions and matmuls; our attention is written as explicit matmuls
so it is counted too (the fused CPU attention kernel would count as zero).
"""

from __future__ import annotations

import torch
from torch import nn


def example_inputs(model: nn.Module, resolution: int = 256, batch: int = 1) -> tuple[torch.Tensor, ...]:
    """Inputs shaped for `model`: an image, plus text tokens and mask for a text-conditioned generator."""
    image = torch.zeros(batch, 3, resolution, resolution)
    config = getattr(model, "config", None)
    if hasattr(config, "text_dim"):
        text = torch.zeros(batch, config.text_tokens, config.text_dim)
        return image, text, torch.ones(batch, config.text_tokens)
    return (image,)


def count_flops(model: nn.Module, resolution: int = 256) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*example_inputs(model, resolution))
    return counter.get_total_flops()


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
