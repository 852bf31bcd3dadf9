"""The training loop: it learns, checkpoints, resumes exactly, stops cleanly on NaN and on cancel."""

from __future__ import annotations

import threading

import pytest
import torch

from e2gan import checkpoint
from e2gan.atomic import read_lines
from e2gan.callbacks import JsonlLog, SampleWriter, TrainCallback
from e2gan.models.generator import Generator
from e2gan.train import Trainer, TrainingDiverged, TrainSettings
from tests.tiny import constant_text, invert_pairs, tiny_generator_config

FAST = dict(crop=32, sample_every=1000, checkpoint_every=1000)


def make_trainer(run_dir, steps=10, callbacks=(), data=None, seed=0, **overrides) -> Trainer:
    torch.manual_seed(seed)
    settings = TrainSettings(steps=steps, seed=seed, **{**FAST, **overrides})
    return Trainer(Generator(tiny_generator_config()), data or invert_pairs(), constant_text(), settings, run_dir, callbacks)


def l1_on(trainer: Trainer, data) -> float:
    src, tgt, prompts, _ = data.fixed(range(len(data)), 32)
    emb = trainer.text(prompts)
    with torch.no_grad():
        return (trainer.generator(src, emb.tokens, emb.mask) - tgt).abs().mean().item()


def test_a_few_steps_lower_the_loss_on_a_fixed_batch(tmp_path):
    data = invert_pairs(n=1)
    trainer = make_trainer(tmp_path, steps=40, data=data, lr=5e-3, augment=False, decay_from=1.0, gan_from=1.0)
    before = l1_on(trainer, data)
    trainer.fit()
    assert l1_on(trainer, data) < 0.7 * before


class Crash(TrainCallback):
    """Simulates a killed process: dies right after step `at`, without any clean-up."""

    def __init__(self, at: int):
        self.at = at

    def on_step(self, trainer, step, losses):
        if step == self.at:
            raise KeyboardInterrupt("killed")


@pytest.mark.parametrize("recipe", [{}, {"gan_from": 0.5, "edge_weight": 1.0, "ema": 0.9}], ids=["gan", "warm-up+edges+ema"])
def test_resume_after_kill_equals_uninterrupted_run(tmp_path, recipe):
    whole = make_trainer(tmp_path / "a", steps=12, checkpoint_every=4, **recipe)
    whole.fit()
    with pytest.raises(KeyboardInterrupt):
        make_trainer(tmp_path / "b", steps=12, checkpoint_every=4, callbacks=[Crash(at=6)], **recipe).fit()
    assert checkpoint.latest(tmp_path / "b" / "checkpoints").name == "step-0000004"
    log = JsonlLog(tmp_path / "b" / "log.jsonl")
    resumed = make_trainer(tmp_path / "b", steps=12, checkpoint_every=4, callbacks=[log], **recipe)
    result = resumed.fit()
    assert result.status == "done" and result.steps == 12
    for (name, a), b in zip(whole.generator.state_dict().items(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b), name
    assert [r["step"] for r in read_lines(tmp_path / "b" / "log.jsonl")] == list(range(5, 13))


class Poison(TrainCallback):
    def __init__(self, at: int):
        self.at = at

    def on_step(self, trainer, step, losses):
        if step == self.at:
            with torch.no_grad():
                next(trainer.generator.parameters()).fill_(float("nan"))


def test_nan_stops_with_a_clear_message_and_keeps_last_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, steps=20, checkpoint_every=3, callbacks=[Poison(at=7)])
    with pytest.raises(TrainingDiverged, match=r"diverged at step 8.*last good checkpoint \(step-0000006\) is kept"):
        trainer.fit()
    last = checkpoint.latest(tmp_path / "checkpoints")
    assert last.name == "step-0000006"
    state = checkpoint.load(last, {"generator": Generator(tiny_generator_config())}, {})
    assert state["step"] == 6


def test_cancel_saves_a_checkpoint_and_resume_finishes(tmp_path):
    cancel = threading.Event()

    class CancelAt(TrainCallback):
        def on_step(self, trainer, step, losses):
            if step == 5:
                cancel.set()

    trainer = make_trainer(tmp_path, steps=10, callbacks=[CancelAt()])
    trainer.cancel = cancel
    result = trainer.fit()
    assert result.status == "cancelled" and result.steps == 5
    assert checkpoint.latest(tmp_path / "checkpoints").name == "step-0000005"
    assert make_trainer(tmp_path, steps=10).fit().steps == 10


def test_callbacks_write_log_and_samples(tmp_path):
    callbacks = [JsonlLog(tmp_path / "log.jsonl"), SampleWriter(tmp_path / "samples")]
    make_trainer(tmp_path, steps=6, sample_every=3, probe_count=2, callbacks=callbacks).fit()
    rows = read_lines(tmp_path / "log.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert {"g_l1", "g_gan", "d", "lr"} <= set(rows[0])
    samples = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert samples == ["step-0000003.png", "step-0000006.png"]
    from PIL import Image

    assert Image.open(tmp_path / "samples" / samples[0]).size == (2 * 32, 3 * 32)


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="steps must be at least 1"):
        make_trainer(tmp_path, steps=0)


def test_warm_up_steps_train_no_discriminator_and_the_average_is_kept(tmp_path):
    trainer = make_trainer(tmp_path, steps=6, gan_from=0.5, ema=0.5)
    d_before = {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}
    losses = [trainer.train_step(s) for s in range(3)]  # the warm-up: regression only
    assert all(l["d"] == 0 and l["g_gan"] == 0 for l in losses)
    assert all(torch.equal(d_before[k], v) for k, v in trainer.discriminator.state_dict().items())
    assert trainer.train_step(3)["d"] > 0  # then the adversarial term
    trainer.fit()
    ema = [getattr(trainer.ema, f"p{i}") for i in range(len(trainer.ema.names))]
    params = [p for p in trainer.generator.parameters() if p.requires_grad]
    assert all(torch.equal(a, b) for a, b in zip(ema, params))  # the run ends on its moving average


def test_crops_start_on_the_generators_grid_and_keep_pairs_aligned():
    """Random crops land on multiples of 8 (the generator's down-sampling), the same place in photo and edit."""
    from e2gan.data import CROP_GRID, PairData

    ys, xs = torch.meshgrid(torch.arange(100), torch.arange(120), indexing="ij")
    position = torch.stack([xs, ys, torch.zeros_like(xs)]).to(torch.uint8)  # each pixel holds its (x, y)
    data = PairData([position], [position.clone()], ["p"])
    starts = set()
    for step in range(40):
        src, tgt, *_ = data.batch(step, batch_size=2, crop=32)
        assert torch.equal(src, tgt)
        for image in ((src + 1) * 127.5).round().long():
            x0, y0 = min(image[0, 0, 0], image[0, 0, -1]).item(), image[1, 0, 0].item()  # min: flips reverse x
            assert x0 % CROP_GRID == 0 and y0 % CROP_GRID == 0
            starts.add((x0, y0))
    assert len(starts) > 10  # still random


def test_fastest_precision_uses_bf16_only_where_the_cpu_computes_it(monkeypatch):
    """The presets' `fastest` trains in bf16 on a CPU with native bf16 (measured faster, same quality) and in
    plain fp32 elsewhere, where bf16 is emulated and slower; `auto` keeps fp32 on every CPU."""
    from e2gan import hardware
    from e2gan.presets import get_preset
    from e2gan.train import resolve_precision

    assert isinstance(hardware.cpu_has_bf16(), bool)  # reads this machine's flags without failing
    cpu = torch.device("cpu")
    for native, expected in ((True, torch.bfloat16), (False, None)):
        monkeypatch.setattr(hardware, "cpu_has_bf16", lambda native=native: native)
        assert resolve_precision("fastest", cpu) == expected
        assert resolve_precision("auto", cpu) is None
    assert get_preset("quick").train_settings(6).precision == "fastest"
