"""The seed's API: ``from core import NeuralNetwork`` used exactly as its README shows."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core import NeuralNetwork
from core.errors import ConfigError, DataError

LINE = re.compile(
    r"^Epoch +(\d+): Train Loss: \d+\.\d{4}, Train Acc: [01]\.\d{4}, "
    r"Val Loss: \d+\.\d{4}, Val Acc: [01]\.\d{4}$"
)


@pytest.fixture
def small(digits):
    """The 8x8 digits in the seed's 0-255 pixel range, as the seed's loader gives them."""
    return digits, np.round(digits.X_train * 255), np.round(digits.X_val * 255)


def _fit(digits, nn, **options):
    """``nn.train`` on the digits' training and validation sets."""
    return nn.train(digits.X_train, digits.y_train, digits.X_val, digits.y_val, **options)


def _net(**kw) -> NeuralNetwork:
    return NeuralNetwork(
        input_size=64,
        hidden_size=32,
        output_size=10,
        learning_rate=kw.pop("learning_rate", 0.1),
        **kw,
    )


def test_seed_usage_prints_its_lines_and_learns(small, capsys):
    d, X_train, X_val = small
    nn = _net()
    history = nn.train(X_train, d.y_train, X_val, d.y_val, epochs=12, batch_size=32)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 12
    assert all(LINE.match(line) for line in lines), lines[0]
    assert [int(LINE.match(line).group(1)) for line in lines] == list(range(12))
    assert set(history) >= {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert all(len(v) == 12 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    last = lines[-1]
    assert f"Val Acc: {history['val_acc'][-1]:.4f}" in last
    loss, acc = nn.evaluate(d.X_test * 255, d.y_test)
    assert acc > 0.9 and 0 < loss < 0.5


def test_pixels_0_255_and_0_1_give_the_same_model(small):
    d, X_train, X_val = small
    a, b = _net(seed=3), _net(seed=3)
    a.train(X_train, d.y_train, X_val, d.y_val, epochs=2, batch_size=32, verbose=False)
    b.train(X_train / 255, d.y_train, X_val / 255, d.y_val, epochs=2, batch_size=32, verbose=False)
    for p, q in zip(a.model.params, b.model.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.predict_proba(X_val), b.predict_proba(X_val / 255), atol=1e-6)


def test_one_hot_labels_equal_int_labels(digits):
    a, b = _net(seed=1), _net(seed=1)
    onehot = np.eye(10)[digits.y_train]
    _fit(digits, a, epochs=1, batch_size=64, verbose=False)
    b.train(
        digits.X_train,
        onehot,
        digits.X_val,
        np.eye(10)[digits.y_val],
        epochs=1,
        batch_size=64,
        verbose=False,
    )
    for p, q in zip(a.model.params, b.model.params, strict=True):
        np.testing.assert_array_equal(p, q)
    assert a.evaluate(digits.X_test, np.eye(10)[digits.y_test]) == a.evaluate(
        digits.X_test, digits.y_test
    )


def test_learning_rate_set_between_calls_takes_effect(digits, capsys):
    nn = _net()
    _fit(digits, nn, epochs=1, batch_size=64)
    nn.learning_rate = 0.01
    assert nn.learning_rate == 0.01
    before = [p.copy() for p in nn.model.params]
    history = _fit(digits, nn, epochs=1, batch_size=64)
    assert history["learning_rate"] == [0.1, 0.01]
    # Epoch numbers go on from the first call.
    assert capsys.readouterr().out.splitlines()[-1].startswith("Epoch   1:")
    moved = max(float(np.abs(p - q).max()) for p, q in zip(nn.model.params, before, strict=True))
    nn_fast = _net()
    _fit(digits, nn_fast, epochs=1, batch_size=64, verbose=False)
    first = [p.copy() for p in nn_fast.model.params]
    _fit(digits, nn_fast, epochs=1, batch_size=64, verbose=False)
    moved_fast = max(
        float(np.abs(p - q).max()) for p, q in zip(nn_fast.model.params, first, strict=True)
    )
    assert moved < moved_fast / 3
    with pytest.raises(ConfigError, match="learning_rate"):
        nn.learning_rate = -1


def test_print_every_and_quiet(digits, capsys):
    nn = _net()
    _fit(digits, nn, epochs=5, batch_size=64, print_every=2)
    shown = [int(LINE.match(x).group(1)) for x in capsys.readouterr().out.splitlines()]
    assert shown == [0, 2, 4]
    _fit(digits, nn, epochs=1, batch_size=64, verbose=False)
    assert capsys.readouterr().out == ""


def test_predictions_and_the_seed_attributes(digits):
    nn = _net(hidden_sizes=(24, 16), activation="tanh", optimizer="adam", learning_rate=0.01)
    _fit(digits, nn, epochs=3, batch_size=32, verbose=False)
    P = nn.predict_proba(digits.X_test)
    assert P.shape == (len(digits.X_test), 10)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(nn.predict(digits.X_test), P.argmax(axis=1))
    assert nn.hidden_sizes == (24, 16)
    assert (nn.W1.shape, nn.b1.shape, nn.W3.shape) == ((64, 24), (24,), (16, 10))
    images = digits.X_test.reshape(-1, 8, 8)
    np.testing.assert_array_equal(nn.predict(images), nn.predict(digits.X_test))
    with pytest.raises(AttributeError):
        _ = nn.W4


def test_depth_zero_is_softmax_regression(digits):
    nn = _net(depth=0, learning_rate=0.5)
    assert nn.W1.shape == (64, 10) and nn.hidden_size == 0
    _fit(digits, nn, epochs=10, batch_size=32, verbose=False)
    assert nn.evaluate(digits.X_test, digits.y_test)[1] > 0.9


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((5, 63)), np.zeros(5, int), r"shape \(5, 63\).*input_size 64"),
        (np.full((5, 64), np.nan), np.zeros(5, int), "NaN"),
        (np.zeros((5, 64)), np.zeros(4, int), "5 samples but y has 4"),
        (np.zeros((5, 64)), np.array([0, 1, 2, 3, 10]), "allowed 0 to 9"),
        (np.zeros((5, 64)), np.array([0, 1, 2, 3, -1]), "allowed 0 to 9"),
        (np.zeros((5, 64)), np.array([0, 1, 2.5, 3, 4]), "whole numbers"),
        (np.zeros((5, 64)), np.full((5, 10), 0.1), "one-hot"),
        (np.zeros((5, 64)), np.zeros((5, 3)), r"\(n, 10\) one-hot"),
        (np.array([["a"] * 64] * 5), np.zeros(5, int), "numbers"),
    ],
)
def test_bad_data_is_a_data_error(X, y, message):
    with pytest.raises(DataError, match=message):
        _net().evaluate(X, y)


def test_bad_settings_are_config_errors(digits):
    with pytest.raises(ConfigError, match="activation"):
        _net(activation="swish")
    with pytest.raises(ConfigError, match="hidden"):
        _net(hidden_sizes=(0,))
    with pytest.raises(ConfigError, match="output_size"):
        NeuralNetwork(output_size=1)
    with pytest.raises(ConfigError, match="batch_size"):
        _net().train(digits.X_train, digits.y_train, digits.X_val, digits.y_val, batch_size=0)
    with pytest.raises(ConfigError, match="epochs"):
        _net().train(digits.X_train, digits.y_train, digits.X_val, digits.y_val, epochs=0)


def test_divergence_stops_with_the_last_good_parameters(digits, capsys):
    nn = _net(learning_rate=100.0, optimizer="momentum")
    history = nn.train(
        digits.X_train, digits.y_train, digits.X_val, digits.y_val, epochs=5, batch_size=32
    )
    out = capsys.readouterr().out
    assert "diverged" in out
    assert len(history["train_loss"]) < 5
    assert all(np.all(np.isfinite(p)) for p in nn.model.params)
