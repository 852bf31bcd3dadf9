"""LoRA on the generator's crucial layers (E2GAN's second technique), through peft.

For a new concept only low-rank adapters on the *sampling layers* (stem, down1, down2, ds, us, up1, up2,
fuse, head) and the *transformer block* train; the ResBlocks' (`res_in`, `res_out`) weights stay frozen,
and so do those of the prompt's `modulation` of the decoder norms (for one prompt it is a constant, which
the trainable norms already cover).
By default the biases and the norms' scales and shifts train too (`LoraSettings.norms_and_biases`, through
peft's own `bias="all"` and `modules_to_save`): they are the cheapest colour and contrast knobs a network
has (a few thousand numbers), and low-rank weight updates alone cannot move them.
Where LoRA would not shrink a layer (at rank 16: the stem, up2, fuse and head, thin layers at full
resolution), that layer trains as a plain copy instead (`LoraSettings.copy_small_layers`): the same or more
freedom, and no parallel path that would cost as much compute as the layer itself.
A filter is then a ~0.1–0.5 MB adapter in peft's own format (adapter_model.safetensors +
adapter_config.json) over one shared base, which is what makes filter packs and instant switching cheap.

Ranks are set per group of layers; `e2gan.rank_search` picks them by measured quality for a parameter
budget, or `DEFAULT_RANKS` is used.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

# The crucial layers, by group, in the generator's reading order.
LAYER_GROUPS: dict[str, tuple[str, ...]] = {
    "down": ("stem.conv", "down1.conv", "down2.conv"),
    "ds_us": ("ds.conv", "us.conv"),
    "transformer": tuple(
        f"transformer.{part}"
        for part in (
            "self_attn.q", "self_attn.k", "self_attn.v", "self_attn.out",
            "cross_attn.q", "cross_attn.k", "cross_attn.v", "cross_attn.out",
            "mlp.fc1", "mlp.fc2",
        )
    ),
    "up": ("up1.conv", "up2.conv", "fuse", "head"),
}  # fmt: skip
CRUCIAL_LAYERS: tuple[str, ...] = tuple(name for names in LAYER_GROUPS.values() for name in names)
DEFAULT_RANKS = {"down": 16, "ds_us": 16, "transformer": 16, "up": 16}  # ablation: Recipe (BENCHMARKS.md), 3 seeds
ADAPTER_INFO = "e2gan_adapter.json"


@dataclass
class LoraSettings:
    ranks: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RANKS))  # group → rank (0 = no LoRA)
    alpha_over_rank: float = 1.0  # LoRA scale α/r; 1 keeps updates the same size at every rank
    norms_and_biases: bool = True  # also train every bias and the norms' affine parameters (colour knobs)
    # A layer whose LoRA would have at least as many numbers as the layer itself (at rank 16: the stem, up2,
    # fuse and head, all at full resolution) trains as a plain copy instead: as many updates or more,
    # without LoRA's parallel path, which costs as much compute as the layer.
    copy_small_layers: bool = True

    def layer_ranks(self) -> dict[str, int]:
        unknown = set(self.ranks) - set(LAYER_GROUPS)
        if unknown:
            raise ValueError(f"unknown LoRA layer groups {sorted(unknown)}; use {list(LAYER_GROUPS)}")
        if any((not isinstance(r, int)) or r < 0 for r in self.ranks.values()):
            raise ValueError(f"LoRA ranks must be whole numbers ≥ 0, got {self.ranks}")
        return {
            layer: self.ranks.get(group, 0) for group, layers in LAYER_GROUPS.items() for layer in layers
        }


def norm_modules(model: nn.Module) -> list[str]:
    """Names of the norm layers with learnable scale and shift (instance norms, layer norms)."""
    return [
        name for name, m in model.named_modules()
        if isinstance(m, (nn.InstanceNorm2d, nn.LayerNorm)) and getattr(m, "weight", None) is not None
    ]  # fmt: skip


def lora_is_smaller(layer: nn.Module, rank: int) -> bool:
    """Whether rank-`rank` LoRA on this conv or linear layer has fewer numbers than the layer's own weight."""
    weight = layer.weight
    fan_in, fan_out = weight[0].numel(), weight.shape[0]
    return rank * (fan_in + fan_out) < weight.numel()


def lora_config(settings: LoraSettings, model: nn.Module | None = None):
    """peft's config: LoRA on the crucial layers, plus what trains as a plain copy (norms, biases, and
    layers LoRA would not shrink: see `LoraSettings.copy_small_layers`)."""
    from peft import LoraConfig

    ranks = {layer: r for layer, r in settings.layer_ranks().items() if r > 0}
    if not ranks:
        raise ValueError("all LoRA ranks are 0: nothing would train")
    copies = []
    if model is not None and settings.copy_small_layers:
        copies = [layer for layer, r in ranks.items() if not lora_is_smaller(model.get_submodule(layer), r)]
        if len(copies) == len(ranks):  # peft needs one LoRA layer: keep the largest as LoRA
            copies.remove(max(ranks, key=lambda layer: model.get_submodule(layer).weight.numel()))
        ranks = {layer: r for layer, r in ranks.items() if layer not in copies}
    saved = (norm_modules(model) if settings.norms_and_biases and model is not None else []) + copies
    return LoraConfig(
        r=max(ranks.values()),
        lora_alpha=max(ranks.values()) * settings.alpha_over_rank,
        target_modules=list(ranks),
        rank_pattern=dict(ranks),
        alpha_pattern={k: v * settings.alpha_over_rank for k, v in ranks.items()},
        lora_dropout=0.0,
        bias="all" if settings.norms_and_biases else "none",
        modules_to_save=saved or None,
    )


def apply_lora(base: nn.Module, settings: LoraSettings | None = None, copy_base: bool = True):
    """Wrap a generator with LoRA adapters on its crucial layers; only the adapters train."""
    from peft import get_peft_model

    model = copy.deepcopy(base) if copy_base else base
    return get_peft_model(model, lora_config(settings or LoraSettings(), model))


def trainable_summary(model: nn.Module) -> str:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return f"{trainable:,} trainable of {total:,} parameters ({100 * trainable / total:.2f}%)"


def save_adapter(model, folder: str | Path, info: dict | None = None) -> Path:
    """Save adapters in peft's format, plus `e2gan_adapter.json` (base model, prompt, ranks)."""
    from e2gan import atomic

    folder = Path(folder)
    model.save_pretrained(str(folder))
    atomic.write_json(folder / ADAPTER_INFO, info or {})
    return folder


def load_adapter(base: nn.Module, folder: str | Path, copy_base: bool = True):
    """Base generator + saved adapter → a peft model (unmerged, so intensity can be scaled)."""
    from peft import PeftModel

    from e2gan.models.weights import read_safetensors

    folder = Path(folder)
    if not (folder / "adapter_model.safetensors").is_file():
        raise FileNotFoundError(f"{folder} holds no LoRA adapter (adapter_model.safetensors)")
    read_safetensors(folder / "adapter_model.safetensors")  # a damaged file: a clear error before peft reads it
    model = copy.deepcopy(base) if copy_base else base
    return PeftModel.from_pretrained(model, str(folder), is_trainable=False)


def merge(model) -> nn.Module:
    """Fold the adapters into the base weights: a plain generator, as fast as the base."""
    return model.merge_and_unload()


def adapter_bytes(folder: str | Path) -> int:
    return (Path(folder) / "adapter_model.safetensors").stat().st_size
