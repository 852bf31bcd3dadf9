"""Frame coordinates: a crop knows where it sits in its frame, in training, on whole frames and in exports."""

from __future__ import annotations

import numpy as np
import torch

from e2gan.data import PairData
from e2gan.models.generator import Generator, frame_coordinates
from e2gan.train import Trainer, TrainSettings
from tests.tiny import constant_text, tiny_generator_config


def test_a_crops_coordinates_are_its_slice_of_the_whole_frames():
    frame = torch.zeros(1, 3, 48, 64)
    whole = frame_coordinates(frame)
    assert torch.allclose(whole[0, 0, 0, 0], -whole[0, 0, 0, -1]) and torch.allclose(whole[0, 1, 0, 0], -whole[0, 1, -1, 0])  # symmetric
    assert torch.allclose(whole[0, 2], whole[0, 0] ** 2 + whole[0, 1] ** 2)
    top, left = 8, 16
    crop = frame[:, :, top : top + 24, left : left + 32]
    window = torch.tensor([[top / 48, left / 64, 24 / 48, 32 / 64]])
    assert torch.allclose(frame_coordinates(crop, window), whole[:, :, top : top + 24, left : left + 32], atol=1e-6)
    mirrored = torch.tensor([[top / 48, (left + 32) / 64, 24 / 48, -32 / 64]])
    assert torch.allclose(frame_coordinates(crop, mirrored), whole[:, :, top : top + 24, left : left + 32].flip(-1), atol=1e-6)


def test_every_training_crop_carries_its_window_through_flips():
    """Each pixel of the pair holds its own place; the batch's windows must give back exactly those places."""
    h, w = 64, 96
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    position = torch.stack([xs, ys, torch.zeros_like(xs)]).to(torch.uint8)
    data = PairData([position], [position.clone()], ["p"])
    flipped = 0
    for step in range(20):
        src, _, _, window = data.batch(step, batch_size=2, crop=32)
        coords = frame_coordinates(src, window)
        pixels = ((src + 1) * 127.5).round()
        expected_x, expected_y = (2 * (pixels[:, 0] + 0.5) / w - 1), (2 * (pixels[:, 1] + 0.5) / h - 1)
        assert torch.allclose(coords[:, 0], expected_x, atol=1e-5) and torch.allclose(coords[:, 1], expected_y, atol=1e-5)
        flipped += int((window[:, 3] < 0).sum())
    assert flipped > 0  # the flips were exercised


def test_probe_squares_of_whole_pairs_are_whole_frames():
    data = PairData([torch.zeros(3, 40, 40, dtype=torch.uint8)], [torch.zeros(3, 40, 40, dtype=torch.uint8)], ["p"])
    *_, window = data.fixed([0], 40)
    assert window.tolist() == [[0.0, 0.0, 1.0, 1.0]]


def test_the_model_sees_where_it_is_only_when_asked():
    torch.manual_seed(0)
    g = Generator(tiny_generator_config(frame_coords=True))
    x, text = torch.rand(1, 3, 32, 32) * 2 - 1, torch.randn(1, 4, 16)
    left = g(x, text, window=torch.tensor([[0.0, 0.0, 0.5, 0.5]]))
    right = g(x, text, window=torch.tensor([[0.0, 0.5, 0.5, 0.5]]))
    assert (left - right).abs().max() > 1e-4  # the same pixels elsewhere in the frame
    assert torch.equal(g(x, text), g(x, text, window=torch.tensor([[0.0, 0.0, 1.0, 1.0]])))  # no window = the whole frame
    blind = Generator(tiny_generator_config())
    assert torch.equal(blind(x, text, window=torch.tensor([[0.0, 0.0, 0.5, 0.5]])), blind(x, text))


def vignette_pairs(n: int = 6, size: int = 64) -> PairData:
    """Flat random colours darkened towards the frame's corners: learnable only by knowing where a pixel is."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    r2 = ((2 * (xx + 0.5) / size - 1) ** 2 + (2 * (yy + 0.5) / size - 1) ** 2)[..., None]
    photos = [np.broadcast_to(rng.integers(60, 255, 3), (size, size, 3)).astype(np.float32) for _ in range(n)]
    edits = [p * np.clip(1 - 0.45 * r2, 0, 1) for p in photos]
    return PairData.from_arrays([p.astype(np.uint8) for p in photos], [e.astype(np.uint8) for e in edits], ["old photo"] * n)


def whole_frame_l1(frame_coords: bool, tmp_path) -> float:
    torch.manual_seed(0)
    data = vignette_pairs()
    g = Generator(tiny_generator_config(frame_coords=frame_coords))
    settings = TrainSettings(steps=150, crop=32, batch_size=4, lr=5e-3, gan_from=1.0, edge_weight=0.0, checkpoint_every=1000, sample_every=1000)
    Trainer(g, data, constant_text(), settings, tmp_path / str(frame_coords)).fit()
    src, tgt, prompts, _ = data.fixed(range(len(data)), 64)
    with torch.no_grad():
        out = g.eval()(src, constant_text()(prompts).tokens)  # whole frames, no window: as the runtime runs it
    return (out - tgt).abs().mean().item()


def test_a_vignette_is_learned_from_crops_only_with_frame_coordinates(tmp_path):
    """Trained on 32 px crops, judged on whole 64 px frames: knowing the place beats guessing it."""
    seeing, blind = whole_frame_l1(True, tmp_path), whole_frame_l1(False, tmp_path)
    assert seeing < 0.6 * blind, (seeing, blind)


def test_an_export_computes_the_coordinates_for_any_frame_size(tmp_path):
    """ONNX with dynamic height and width: the coordinates come from the input's shape, as in PyTorch."""
    from e2gan.export.onnx_model import INPUT, BakedFilter, export_onnx, session

    torch.manual_seed(0)
    g = Generator(tiny_generator_config(frame_coords=True)).eval()
    baked = BakedFilter(g, constant_text()(["p"]))
    sess = session(export_onnx(baked, tmp_path / "f.onnx", 32), 1)
    for h, w in ((32, 32), (24, 48)):
        x = torch.rand(1, 3, h, w)
        with torch.no_grad():
            expected = baked(x).numpy()
        assert np.abs(sess.run(None, {INPUT: x.numpy()})[0] - expected).max() < 1e-4


def test_a_config_saved_before_frame_coordinates_loads_without_them(tmp_path):
    from dataclasses import asdict

    from e2gan.models.generator import GeneratorConfig

    old = asdict(tiny_generator_config())
    del old["frame_coords"]
    assert GeneratorConfig.from_dict(old).frame_coords is False
    assert GeneratorConfig.from_dict(asdict(tiny_generator_config(frame_coords=True))).frame_coords is True
