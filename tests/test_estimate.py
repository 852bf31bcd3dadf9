"""Training estimates are measured with the method that will train, for every method."""

from __future__ import annotations

import pytest

from e2gan.estimate import estimate, step_cost
from e2gan.presets import get_preset


@pytest.mark.parametrize("mode", ["lora", "full", "scratch", "pix2pix"])
def test_step_cost_is_measured_for_every_method(mode):
    seconds, memory = step_cost(64, 2, "cpu", steps=1, mode=mode)
    assert seconds > 0 and memory > 0


def test_estimate_is_steps_times_the_measured_step():
    preset = get_preset("quick")
    e = estimate(preset, 10, "cpu", mode="lora")
    assert e.steps == preset.steps_for(10)
    warm = int(preset.gan_from * e.steps)
    recipe = dict(precision=preset.precision, ema=preset.ema)  # timed as the run will train
    regression = step_cost(preset.crop, preset.batch_size, "cpu", mode="lora", adversarial=False, **recipe)[0]
    adversarial = step_cost(preset.crop, preset.batch_size, "cpu", mode="lora", adversarial=True, **recipe)[0]
    assert e.seconds == pytest.approx(warm * regression + (e.steps - warm) * adversarial)
    assert "steps" in e.describe() and "MB" in e.describe()
