"""Training estimates are measured with the method and the recipe that will train, for every method."""

from __future__ import annotations

import pytest

from e2gan.estimate import estimate, step_cost, step_settings
from e2gan.presets import get_preset
from e2gan.train import TrainSettings


@pytest.mark.parametrize("mode", ["lora", "full", "scratch", "pix2pix"])
def test_step_cost_is_measured_for_every_method(mode):
    seconds, memory = step_cost(TrainSettings(crop=64, batch_size=2, device="cpu"), mode, steps=1)
    assert seconds > 0 and memory > 0


def test_estimate_is_steps_times_the_measured_step():
    preset = get_preset("quick")
    e = estimate(preset, 10, "cpu", mode="lora")
    run = preset.train_settings(10, "lora", device="cpu")  # what `e2gan finetune` trains
    assert e.steps == run.steps
    warm = int(run.gan_from * run.steps)
    regression, adversarial = (step_cost(run, "lora", gan)[0] for gan in (False, True))  # cached: same recipe
    assert e.seconds == warm * regression + (e.steps - warm) * adversarial
    assert "steps" in e.describe() and "MB" in e.describe()


def test_the_timed_steps_keep_the_runs_recipe():
    run = get_preset("quick").train_settings(10, "lora", device="cpu", precision="bf16", ema=0.9, edge_weight=2.0)
    timed = step_settings(run, adversarial=False, steps=3)
    assert (timed.precision, timed.ema, timed.edge_weight, timed.crop, timed.batch_size, timed.lr) == (
        "bf16", 0.9, 2.0, run.crop, run.batch_size, run.lr)
    assert timed.steps == 5 and timed.gan_from == 1.0 and timed.checkpoint_every > timed.steps
