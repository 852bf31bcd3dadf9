"""The generator, the pix2pix baseline and the discriminator: shapes, ranges, sizes, persistence."""

from __future__ import annotations

import pytest
import torch

from e2gan.models.discriminator import PatchDiscriminator
from e2gan.models.flops import count_flops, count_params, example_inputs
from e2gan.models.generator import Generator, GeneratorConfig
from e2gan.models.resnet_generator import ResnetConfig, ResnetGenerator
from e2gan.models.weights import load_generator
from tests.tiny import constant_text, tiny_generator_config


@pytest.mark.parametrize("size", [32, 48, 64])
def test_generator_shape_and_range(size):
    g = Generator(tiny_generator_config())
    x = torch.rand(2, 3, size, size) * 2 - 1
    text = torch.randn(2, 4, 16)
    y = g(x, text, torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.float32))
    assert y.shape == x.shape
    assert y.min() >= -1 and y.max() <= 1


def test_text_changes_the_output():
    torch.manual_seed(0)
    g = Generator(tiny_generator_config())
    x = torch.rand(1, 3, 32, 32)
    a = g(x, torch.randn(1, 4, 16))
    b = g(x, torch.randn(1, 4, 16))
    assert (a - b).abs().max() > 1e-4


def test_resnet_baseline_is_faithful():
    g = ResnetGenerator()
    assert count_params(g) == 11_378_179  # pix2pix/CycleGAN ResNet-9, ngf=64
    small = ResnetGenerator(ResnetConfig(ngf=8, n_blocks=2))
    y = small(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert y.shape == (1, 3, 32, 32) and y.abs().max() <= 1


def test_default_generator_is_a_tenth_of_the_baseline_flops():
    e2gan_flops = count_flops(Generator(GeneratorConfig()))
    baseline = count_flops(ResnetGenerator())
    assert 98e9 < baseline < 100e9
    assert e2gan_flops <= baseline / 10


@pytest.mark.parametrize("make", [lambda: Generator(tiny_generator_config()), lambda: ResnetGenerator(ResnetConfig(ngf=8, n_blocks=2))])
def test_save_load_round_trip_is_exact(tmp_path, make):
    torch.manual_seed(1)
    g = make().eval()
    g.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_generator(tmp_path / "m").eval()
    assert type(loaded) is type(g)
    inputs = example_inputs(g, 32)
    assert torch.equal(g(*inputs), loaded(*inputs))


def test_mismatched_weights_are_a_clear_error(tmp_path):
    Generator(tiny_generator_config()).save_pretrained(tmp_path / "m")
    config = (tmp_path / "m" / "config.json")
    config.write_text(config.read_text().replace('"width": 4', '"width": 8'))
    with pytest.raises(ValueError, match="does not match the model"):
        load_generator(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="not a saved E2GAN model"):
        load_generator(tmp_path)


def test_discriminator_sees_the_pair():
    d = PatchDiscriminator()
    out = d(torch.zeros(2, 3, 64, 64), torch.zeros(2, 3, 64, 64))
    assert out.shape == (2, 1, 6, 6)


def test_invalid_config_is_refused():
    with pytest.raises(ValueError, match="divisible by heads"):
        GeneratorConfig(attn_width=30, heads=4)


def test_an_older_architecture_is_refused_with_advice(tmp_path):
    import json

    Generator(tiny_generator_config()).save_pretrained(tmp_path / "g")
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    del config["version"]  # as written before the generator could see its input
    (tmp_path / "g" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="older E2GAN Studio"):
        load_generator(tmp_path / "g")


def test_untrained_generator_already_sees_global_brightness():
    """Conv → instance norm erases x → a·x + b; the un-normalised stem and the raw-pixel skip do not."""
    torch.manual_seed(0)
    g = Generator(tiny_generator_config()).eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    text = torch.randn(1, 4, 16)
    with torch.no_grad():
        change = (g(0.3 * x - 0.5, text) - g(x, text))[..., 4:-4, 4:-4].abs().mean()
    assert change > 0.05


def test_the_prompt_alone_can_set_a_frame_wide_colour_cast():
    """A concept's cast (old photo's sepia, night's blue) is a per-channel constant, which instance norm
    removes: text that enters only through cross-attention at 1/8 cannot set it (architecture 2 learned
    differences of 0.00–0.09 here), so the prompt must reach the decoder's norms."""
    torch.manual_seed(0)
    g = Generator(tiny_generator_config())
    text = constant_text()(["warm it up", "cool it down"])
    x = torch.rand(8, 3, 32, 32) * 1.6 - 0.8
    casts = torch.tensor([[0.4, 0.0, -0.4], [-0.4, 0.0, 0.4]])  # warm: more red, less blue; cool: the opposite
    opt = torch.optim.Adam(g.parameters(), 3e-3)
    for step in range(200):
        i = step % 2
        out = g(x, text.tokens[i : i + 1].expand(8, -1, -1), text.mask[i : i + 1].expand(8, -1))
        loss = (out - (x + casts[i][None, :, None, None]).clamp(-1, 1)).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        unseen = torch.rand(4, 3, 32, 32) * 1.6 - 0.8
        warm, cool = (g(unseen, text.tokens[i : i + 1].expand(4, -1, -1)) for i in (0, 1))
    red, _, blue = (warm - cool).mean(dim=(0, 2, 3)).tolist()
    assert red > 0.4 and blue < -0.4  # the target difference is 0.8 and -0.8
