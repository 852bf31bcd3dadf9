"""Process rank and world size under `accelerate launch`, and the few collective operations we need.

In a plain single process everything here is a no-op, so the same code runs on a laptop and on 8 GPUs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn


class Distributed:
    """Rank, world size and gradient averaging; a no-op in a single process."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank, self.device = 0, None
        if self.world > 1:
            import torch
            from accelerate import PartialState

            state = PartialState(cpu=not torch.cuda.is_available())  # gloo on CPU-only machines
            self.rank, self.world, self.device = state.process_index, state.num_processes, state.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def average_gradients(self, params: list["nn.Parameter"]) -> None:
        if self.world == 1:
            return
        import torch.distributed as dist

        for p in params:
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad /= self.world

    def mean(self, value: "torch.Tensor") -> "torch.Tensor":
        if self.world == 1:
            return value
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        return value / self.world

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()
