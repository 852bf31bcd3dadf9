"""LoRA on the crucial layers: adapters, biases and norms train, no ResBlock weight changes, merging is exact."""

from __future__ import annotations

import pytest
import torch

from e2gan.lora import (
    CRUCIAL_LAYERS,
    DEFAULT_RANKS,
    LoraSettings,
    adapter_bytes,
    apply_lora,
    lora_is_smaller,
    load_adapter,
    merge,
    save_adapter,
)
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.train import Trainer, TrainSettings
from tests.tiny import constant_text, invert_pairs, tiny_generator_config


def example_inputs(base, size):
    """Random inputs (an all-zero image makes instance norm divide noise by ~0)."""
    g = torch.Generator().manual_seed(5)
    c = base.config
    return (torch.rand(2, 3, size, size, generator=g) * 2 - 1, torch.randn(2, c.text_tokens, c.text_dim, generator=g))


@pytest.fixture
def base():
    torch.manual_seed(0)
    return Generator(tiny_generator_config()).eval()


def low_rank(**overrides) -> LoraSettings:
    """Rank 2 everywhere: LoRA shrinks every tiny layer at it, so each crucial layer gets real LoRA."""
    return LoraSettings(ranks={g: 2 for g in DEFAULT_RANKS}, **overrides)


def is_colour_knob(name: str) -> bool:
    """A bias or a norm's scale/shift: trained by default next to the adapters."""
    return name.endswith(".bias") or ".norm" in name


def test_only_adapters_biases_and_norms_require_grad(base):
    settings = LoraSettings(ranks={"down": 2, "ds_us": 2, "transformer": 2, "up": 4})
    model = apply_lora(base, settings)
    ranks = settings.layer_ranks()
    copied = {n for n in CRUCIAL_LAYERS if not lora_is_smaller(base.get_submodule(n), ranks[n])}
    assert copied and copied != set(CRUCIAL_LAYERS)  # both kinds: at rank 4, LoRA would not shrink up2 or head
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    is_copy = lambda n: any(f".{layer}.modules_to_save." in n for layer in copied)  # noqa: E731
    assert trainable and all("lora_" in n or is_colour_knob(n) or is_copy(n) for n in trainable)
    assert not any((".res_in." in n or ".res_out." in n) and "conv" in n and n.endswith("weight") for n in trainable)
    adapted = {n.split(".lora_")[0].removeprefix("base_model.model.") for n in trainable if "lora_" in n}
    assert adapted == set(CRUCIAL_LAYERS) - copied
    assert all(any(is_copy(n) and f".{layer}." in n and n.endswith("weight") for n in trainable) for layer in copied)
    assert any(".norm" in n for n in trainable) and any(n.endswith(".bias") for n in trainable)
    assert not any("lora_" in n for n, _ in base.named_parameters())  # the base itself is untouched


def test_small_layers_train_as_copies_only_when_asked(base):
    lora_everywhere = apply_lora(base, LoraSettings(copy_small_layers=False))
    adapted = {n.split(".lora_")[0].removeprefix("base_model.model.") for n, _ in lora_everywhere.named_parameters() if "lora_" in n}
    assert adapted == set(CRUCIAL_LAYERS)


def test_lora_alone_when_norms_and_biases_are_off(base):
    model = apply_lora(base, low_rank(norms_and_biases=False))
    assert all("lora_" in n for n, p in model.named_parameters() if p.requires_grad)


def test_finetuning_changes_adapters_but_no_resblock(base, tmp_path):
    model = apply_lora(base, low_rank())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    settings = TrainSettings(steps=5, crop=32, lr=1e-2, sample_every=100, checkpoint_every=100)
    Trainer(model, invert_pairs(), constant_text(), settings, tmp_path).fit()
    after = dict(model.named_parameters())
    changed = {n for n in before if not torch.equal(before[n], after[n].detach())}
    assert any("lora_B" in n for n in changed)
    assert changed and all("lora_" in n or is_colour_knob(n) for n in changed)
    assert not any(".res_" in n and "conv" in n and n.endswith("weight") for n in changed)


def trained_adapter(base, settings: LoraSettings, seed=1):
    model = apply_lora(base, settings)
    torch.manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n or ("modules_to_save" in n and p.requires_grad):
                p.add_(torch.randn_like(p) * 0.1)  # as after training: B starts at zero and copies at the base
    return model.eval()


ADAPTERS = pytest.mark.parametrize("settings", [low_rank(), LoraSettings()], ids=["lora-everywhere", "small-layers-copied"])


@ADAPTERS
def test_merged_output_equals_unmerged(base, settings):
    model = trained_adapter(base, settings)
    inputs = example_inputs(base, 32)
    unmerged = model(*inputs)
    assert (unmerged - base(*inputs)).abs().max() > 1e-3  # the adapter does something
    merged = merge(model)
    assert torch.allclose(merged(*inputs), unmerged, atol=1e-5)


@ADAPTERS
def test_adapter_round_trip_in_peft_format(base, settings, tmp_path):
    model = trained_adapter(base, settings)
    folder = save_adapter(model, tmp_path / "adapter", {"prompt": "invert"})
    assert {"adapter_model.safetensors", "adapter_config.json", "e2gan_adapter.json"} <= {p.name for p in folder.iterdir()}
    loaded = load_adapter(base, folder).eval()
    inputs = example_inputs(base, 32)
    assert torch.allclose(loaded(*inputs), model(*inputs), atol=1e-6)


def test_default_adapter_size_is_a_few_hundred_kb(tmp_path):
    model = apply_lora(Generator(GeneratorConfig()))
    size = adapter_bytes(save_adapter(model, tmp_path / "a"))
    assert 0.05e6 < size < 0.5e6


@pytest.mark.parametrize("ranks,message", [({"down": -1}, "whole numbers"), ({"resblocks": 4}, "unknown LoRA layer groups"), ({"down": 0, "ds_us": 0, "transformer": 0, "up": 0}, "nothing would train")])
def test_bad_ranks_are_refused(base, ranks, message):
    with pytest.raises(ValueError, match=message):
        apply_lora(base, LoraSettings(ranks=ranks))


def test_base_plus_lora_learns_a_toy_edit_the_base_does_not_know(tmp_path):
    """Seconds of LoRA (with biases and norms) on a learnable toy edit beat the untouched base by ≥ 3 dB."""
    from e2gan.evaluate import psnr

    torch.manual_seed(0)
    base = Generator(tiny_generator_config()).eval()
    data, text = invert_pairs(n=4, size=32), constant_text()

    def quality(model) -> float:
        src, tgt, prompts, _ = data.fixed(range(len(data)), 32)
        emb = text(prompts)
        with torch.no_grad():
            return psnr(model.eval()(src, emb.tokens, emb.mask), tgt)

    before = quality(base)
    model = apply_lora(base)
    settings = TrainSettings(steps=60, crop=32, batch_size=4, lr=5e-3, gan_from=1.0, sample_every=100, checkpoint_every=100)
    Trainer(model, data, text, settings, tmp_path).fit()
    assert quality(model) >= before + 3.0
