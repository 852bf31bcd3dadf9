"""Quality metrics: PSNR and SSIM against known values; FID and LPIPS only with weights, never a surprise download."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from e2gan import evaluate


def images(seed: int, n: int = 3, size: int = 32) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_psnr_matches_its_definition():
    a = torch.zeros(2, 3, 8, 8)
    b = a + 0.2  # in [-1, 1]: a difference of 0.1 in [0, 1]
    assert evaluate.psnr(b, a) == pytest.approx(10 * math.log10(1 / 0.01), abs=1e-4)
    assert evaluate.psnr(a, a) > 90


def test_ssim_is_one_for_identical_images_and_lower_for_noise():
    x = images(0)
    assert evaluate.ssim(x, x) == pytest.approx(1.0)
    assert evaluate.ssim(x, images(1)) < 0.2


def test_fid_and_lpips_are_reported_missing_offline_without_trying_to_download(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty-hub"))
    evaluate._inception.cache_clear()
    evaluate._lpips.cache_clear()
    calls = []
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", lambda *a, **k: calls.append(a) or {})
    try:
        assert evaluate.fid(images(0), images(1)) is None and evaluate.lpips_distance(images(0), images(1)) is None
        _, reason = evaluate._inception()
        assert "--download-weights" in reason
    finally:
        evaluate._inception.cache_clear()
        evaluate._lpips.cache_clear()
    assert calls == []


def test_fid_is_zero_for_the_same_images_and_positive_for_different_ones(monkeypatch):
    """The formula, run through a real Inception-v3 with random weights (no trained weights exist here);
    its batch norms are calibrated on a batch first so the features have a sane scale."""
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    model = inception_v3(weights=None, aux_logits=False, init_weights=True)
    model.fc = torch.nn.Identity()
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.reset_running_stats()
        bn.momentum = None  # a plain average over the calibration batch
    with torch.no_grad():
        model.train()(torch.rand(4, 3, 299, 299))
    monkeypatch.setattr(evaluate, "_inception", lambda download=False: (model.eval(), ""))
    x, y = images(0, n=3), images(5, n=3) * 0.3
    different = evaluate.fid(x, y)
    assert different > 0
    assert abs(evaluate.fid(x, x)) < 1e-6 * different


def test_grid_has_a_row_each_for_photo_teacher_and_student():
    picture = evaluate.grid(images(0), images(1), images(2), size=16)
    assert picture.size == (3 * 16, 3 * 16)
    assert np.asarray(picture).dtype == np.uint8


def test_describe_names_where_the_numbers_come_from():
    base = {"psnr": 21.5, "ssim": 0.71, "fid": None, "lpips": None, "images": 12}
    assert "12 pairs it did not train on" in evaluate.describe({**base, "held_out": True})
    assert "its own training pairs" in evaluate.describe({**base, "held_out": False})
    assert "FID 3.5" in evaluate.describe({**base, "held_out": True, "fid": 3.5})


def test_gmsd_tells_blur_from_a_tone_shift_that_psnr_scores_the_same():
    """A blurred copy and a brightened copy at the same PSNR: only the blurred one lost its edges."""
    import cv2
    import numpy as np
    import torch

    from e2gan.evaluate import gmsd, psnr

    rng = np.random.default_rng(0)
    img = cv2.resize(rng.integers(40, 215, (32, 32, 3)).astype(np.uint8), (128, 128), interpolation=cv2.INTER_NEAREST)
    to_t = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 127.5 - 1  # noqa: E731
    blurred = cv2.GaussianBlur(img, (0, 0), 1.5)
    target_psnr = psnr(to_t(blurred), to_t(img))
    shift = 255 / 10 ** (target_psnr / 20)  # a uniform offset with the same mean squared error
    brighter = np.clip(img.astype(np.float32) + shift, 0, 255).round().astype(np.uint8)
    assert abs(psnr(to_t(brighter), to_t(img)) - target_psnr) < 0.5
    assert gmsd(to_t(img), to_t(img)) < 1e-6
    assert gmsd(to_t(blurred), to_t(img)) > 0.1 > 10 * gmsd(to_t(brighter), to_t(img))


class LivesOnAnotherDevice(torch.nn.Module):
    """A generator whose weights live on the "meta" device and whose forward refuses inputs anywhere else:
    on a CPU-only machine it catches a scoring path that forgets to move inputs to the model's device
    (the bug that crashed rank search and the benchmarks on a GPU)."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(1, device="meta"))

    def forward(self, x, tokens, mask, window):
        for name, t in (("image", x), ("tokens", tokens), ("mask", mask), ("window", window)):
            assert t.device.type == "meta", f"{name} on {t.device}, but the model lives on meta"
        return torch.zeros(x.shape)  # values do not matter here


def test_every_scoring_path_runs_pairs_on_the_models_device():
    from e2gan.data import PairData
    from e2gan.finetune import evaluate_on
    from e2gan.text.encoder import TextEmbedding

    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 255, (40, 40, 3), dtype=np.uint8) for _ in range(3)]
    data = PairData.from_arrays(photos, photos[::-1], ["a", "b", "c"])
    text = lambda prompts: TextEmbedding(torch.zeros(len(prompts), 2, 4), torch.ones(len(prompts), 2))  # noqa: E731
    g = LivesOnAnotherDevice()
    _, _, out = evaluate.run_on_pairs(g, text, data, 32)
    assert out.shape == (3, 3, 32, 32) and out.device.type == "cpu"
    assert set(evaluate.score_on_pairs(g, text, data, 32)) == {"psnr", "ssim"}
    assert set(evaluate.evaluate(g, text, data, 32)[0].to_dict()) >= {"psnr", "ssim"}
    assert set(evaluate_on(g, text, data, 32)) == {"fit_psnr", "fit_ssim"}


def test_pairs_are_cropped_and_run_in_one_place_only():
    """`PairData.fixed` (centre squares for judging) is called by the one scoring function, nowhere else."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    callers = [f"{p.relative_to(root)}" for folder in ("e2gan", "studio", "benchmarks") for p in (root / folder).rglob("*.py")
               if re.search(r"\.fixed\(", p.read_text())]  # fmt: skip
    assert callers == ["e2gan/evaluate.py"], callers
