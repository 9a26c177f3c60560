"""Learning-rate schedules and how the Trainer applies them per epoch."""

from __future__ import annotations

import itertools
import math

import pytest

from core.errors import ConfigError
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import EpochReport, HyperparameterChanged
from core.training.schedules import learning_rate, lr_factor
from core.training.trainer import Trainer


def test_constant_cosine_and_step_shapes():
    assert [lr_factor("constant", e, 10, 0.01) for e in range(10)] == [1.0] * 10
    cos = [lr_factor("cosine", e, 11, 0.1) for e in range(11)]
    assert cos[0] == 1.0 and math.isclose(cos[-1], 0.1)
    assert math.isclose(cos[5], 0.55)
    assert all(a > b for a, b in itertools.pairwise(cos))
    step = [lr_factor("step", e, 8, 0.001) for e in range(8)]
    assert step == pytest.approx([1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01])
    assert lr_factor("step", 7, 8, 0.05) == 0.05  # never below min_lr_ratio
    assert lr_factor("step", 0, 1, 0.01) == 1.0  # a one-epoch run is not decayed
    assert learning_rate(0.5, "cosine", 0, 3, 0.0) == 0.5
    assert lr_factor("cosine", 2, 3, 0.0) > 0  # stays positive: a base can be rescaled
    with pytest.raises(ConfigError, match="schedule"):
        lr_factor("linear", 0, 3, 0.1)


def test_trainer_follows_the_schedule_and_a_live_change_rescales_it(digits):
    cfg = Config(
        hidden=(16,),
        epochs=4,
        batch_size=64,
        learning_rate=0.2,
        schedule="cosine",
        min_lr_ratio=0.1,
    )
    control = TrainingControl()
    trainer = Trainer(cfg, digits, control)
    lrs = []
    for ev in trainer.run():
        if isinstance(ev, EpochReport):
            lrs.append(ev.learning_rate)
            if ev.epoch == 1:
                control.set_learning_rate(0.01)  # taken at the first batch of epoch 2
        if isinstance(ev, HyperparameterChanged):
            assert ev.epoch == 2 and ev.batch == 0 and ev.new == 0.01
    expected = [learning_rate(0.2, "cosine", e, 4, 0.1) for e in range(2)]
    assert lrs[:2] == pytest.approx(expected)
    assert lrs[2] == pytest.approx(0.01)
    # The schedule keeps its shape from the new base: epoch 3 / epoch 2 as before.
    ratio = lr_factor("cosine", 3, 4, 0.1) / lr_factor("cosine", 2, 4, 0.1)
    assert lrs[3] == pytest.approx(0.01 * ratio)
    assert trainer.config.learning_rate == pytest.approx(0.01 / lr_factor("cosine", 2, 4, 0.1))
