"""Fool the network: a bounded change that makes a trained model read an image as class k."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.nn.model import MLP
from core.training.adversarial import make_it_read_as
from core.training.config import Config
from core.training.trainer import Trainer

# float32 pixels: x + eps - x may exceed eps by a rounding step
ROUNDING = 1e-6


@pytest.fixture(scope="module")
def trained(digits) -> MLP:
    trainer = Trainer(Config(hidden=(32,), epochs=8, batch_size=32, seed=2), digits)
    list(trainer.run())
    assert trainer.model is not None
    return trainer.model


def correctly_read(model: MLP, digits, count: int) -> list[int]:
    pred = model.predict(digits.X_test)
    return [int(i) for i in np.flatnonzero(pred == digits.y_test)[:count]]


def test_each_target_is_reached_within_its_bound(trained, digits):
    for i in correctly_read(trained, digits, 3):
        x, label = digits.X_test[i], int(digits.y_test[i])
        for target in (t for t in range(10) if t != label):
            a = make_it_read_as(trained, x, target)
            assert a.success and a.predicted_before == label and a.predicted_after == target
            assert int(trained.predict(a.image[None])[0]) == target
            assert 0 < a.linf <= a.epsilon + ROUNDING and a.epsilon < 1.0
            assert a.image.min() >= 0 and a.image.max() <= 1
            np.testing.assert_array_equal(a.change, a.image - a.original)
            np.testing.assert_array_equal(a.original, x)
            assert a.l2 == pytest.approx(float(np.linalg.norm(a.change)), rel=1e-5)
            np.testing.assert_allclose(a.probs_before, trained.predict_proba(x[None])[0])
            np.testing.assert_allclose(a.probs_after, trained.predict_proba(a.image[None])[0])
            assert a.probs_after[target] > a.probs_before[target]


def test_the_search_finds_a_small_bound(trained, digits):
    """Far less than the whole pixel range, and no smaller bound tried does it."""
    i = correctly_read(trained, digits, 1)[0]
    a = make_it_read_as(trained, digits.X_test[i], (int(digits.y_test[i]) + 1) % 10)
    assert a.success and a.epsilon < 0.5
    tighter = make_it_read_as(trained, digits.X_test[i], a.target, max_epsilon=a.epsilon * 0.9)
    assert not tighter.success and tighter.linf <= a.epsilon * 0.9 + ROUNDING


def test_a_bound_too_small_fails_and_says_so(trained, digits):
    i = correctly_read(trained, digits, 1)[0]
    label = int(digits.y_test[i])
    a = make_it_read_as(trained, digits.X_test[i], (label + 5) % 10, max_epsilon=1 / 255)
    assert not a.success and a.predicted_after == label != a.target
    assert a.epsilon == 1 / 255 and a.linf <= 1 / 255 + ROUNDING


def test_an_image_already_read_as_the_target_is_left_alone(trained, digits):
    i = correctly_read(trained, digits, 1)[0]
    a = make_it_read_as(trained, digits.X_test[i].reshape(8, 8), int(digits.y_test[i]))
    assert a.success and a.epsilon == 0 and a.linf == 0 and a.l2 == 0 and a.steps == 0
    assert a.image.shape == (64,)


def test_the_same_request_gives_the_same_change_and_the_model_is_untouched(trained, digits):
    before = [p.copy() for p in trained.params]
    x = digits.X_test[correctly_read(trained, digits, 1)[0]]
    first, second = make_it_read_as(trained, x, 3), make_it_read_as(trained, x, 3)
    np.testing.assert_array_equal(first.image, second.image)
    assert first.epsilon == second.epsilon
    for p, q in zip(before, trained.params, strict=True):
        np.testing.assert_array_equal(p, q)
    for a in (first.image, first.change, first.original, first.probs_after):
        with pytest.raises(ValueError):
            a[0] = 0


def test_a_model_with_dropout_keeps_its_rate(digits):
    model = MLP((64, 16, 10), dropout=0.5, seed=1)
    make_it_read_as(model, digits.X_test[0], 4)
    assert model.dropout == 0.5


def test_bad_requests_are_refused(trained, digits):
    x = digits.X_test[0]
    with pytest.raises(ConfigError, match="not a class of this network"):
        make_it_read_as(trained, x, 10)
    with pytest.raises(ConfigError, match="not a class index"):
        make_it_read_as(trained, x, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_epsilon"):
        make_it_read_as(trained, x, 1, max_epsilon=0.0)
    with pytest.raises(DataError, match="the network takes 64"):
        make_it_read_as(trained, np.zeros(784), 1)
    for bad in (1.5, -0.1, np.nan):
        y = x.copy()
        y[3] = bad
        with pytest.raises(DataError, match=r"within \[0, 1\]"):
            make_it_read_as(trained, y, 1)
