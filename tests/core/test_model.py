"""The MLP: shapes, depth 0 to n, dropout, L2, determinism and the fused training step."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.config import ACTIVATIONS, OPTIMIZERS


def _train(model: MLP, data, optimizer="momentum", lr=0.05, epochs=10) -> None:
    opt = make_optimizer(optimizer, model.params, lr)
    sampler = BatchSampler(data.X_train, data.y_train, 32, np.random.default_rng(0))
    for _ in range(epochs):
        for Xb, yb in sampler.epoch():
            train_step(model, opt, Xb, yb)


@pytest.mark.parametrize("hidden", [(), (32,), (32, 16), (32, 16, 16)])
def test_every_depth_learns_digits(digits, hidden):
    model = MLP((digits.n_features, *hidden, 10), seed=0)
    _, acc0 = model.evaluate(digits.X_test, digits.y_test)
    _train(model, digits)
    loss, acc = model.evaluate(digits.X_test, digits.y_test)
    assert acc > 0.93 > 0.3 > acc0
    assert loss < 0.3


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_learns_digits(digits, activation):
    model = MLP((digits.n_features, 32, 10), activation=activation, seed=0)
    _train(model, digits, "adam", 0.01)
    assert model.evaluate(digits.X_test, digits.y_test)[1] > 0.9


def test_shapes_and_probabilities():
    model = MLP((12, 7, 5, 3), seed=0)
    X = np.random.default_rng(0).random((10, 12), dtype=np.float32)
    assert [p.shape for p in model.params] == [(12, 7), (7,), (7, 5), (5,), (5, 3), (3,)]
    assert all(p.dtype == np.float32 for p in model.params)
    assert model.forward(X).shape == (10, 3)
    P = model.predict_proba(X)
    assert P.dtype == np.float32
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), P.argmax(axis=1))
    assert model.n_parameters() == 12 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3


def test_evaluate_matches_the_loss_of_the_probabilities():
    model = MLP((12, 7, 3), seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.random((50, 12), dtype=np.float32), rng.integers(0, 3, 50)
    P = model.predict_proba(X).astype(np.float64)
    loss, acc = model.evaluate(X, y, batch_size=16)
    assert loss == pytest.approx(-np.log(P[np.arange(50), y]).mean(), rel=1e-5)
    assert acc == pytest.approx(np.mean(P.argmax(axis=1) == y))


def test_loss_is_stable_for_huge_logits():
    model = MLP((4, 3), seed=0)
    model.params[0][:] = np.array([[1e4, -1e4, 0]] * 4, dtype=np.float32)
    X = np.ones((2, 4), dtype=np.float32)
    loss, grads = model.loss_and_grads(X, np.array([0, 1]))
    assert np.isfinite(loss) and loss == pytest.approx(8e4 / 2, rel=1e-6)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_inverted_dropout_keeps_the_expected_activation():
    model = MLP((50, 400, 2), dropout=0.5, seed=0)
    X = np.random.default_rng(0).random((64, 50), dtype=np.float32)
    model.forward(X, training=True)
    inputs, hidden, masks = model._cache
    H, A, mask = hidden[0], inputs[1], masks[0]
    kept = mask > 0
    assert 0.45 < kept.mean() < 0.55
    np.testing.assert_allclose(A[kept], 2 * H[kept])
    assert np.all(A[~kept] == 0)
    assert A.mean() == pytest.approx(H.mean(), rel=0.05)
    # No dropout at inference: the same input gives the same output twice.
    np.testing.assert_array_equal(model.forward(X), model.forward(X))


def test_same_seed_same_run_bit_for_bit(digits):
    runs = []
    for _ in range(2):
        model = MLP((digits.n_features, 24, 16, 10), dropout=0.2, l2=1e-4, seed=7)
        _train(model, digits, "adam", 0.01, epochs=2)
        runs.append(model.params)
    for a, b in zip(*runs, strict=True):
        assert a.tobytes() == b.tobytes()
    seed7, seed8 = (MLP((digits.n_features, 24, 10), seed=s).params[0] for s in (7, 8))
    assert seed7.tobytes() != seed8.tobytes()


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_initialisation_scale(init):
    W = MLP((400, 300, 10), init=init, seed=0).params[0]
    expected = np.sqrt(2 / 400) if init == "he" else np.sqrt(2 / (400 + 300))
    assert W.std() == pytest.approx(expected, rel=0.02)
    assert abs(W.mean()) < 0.01 * expected


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("setting", [dict(), dict(dropout=0.3, l2=1e-3, activation="tanh")])
def test_training_step_equals_gradients_then_step(optimizer, setting):
    """train_batch (reused buffers, fused updates) is the same maths as loss_and_grads + step."""
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 20), dtype=np.float32), rng.integers(0, 5, 40)
    a, b = (MLP((20, 16, 12, 5), seed=3, **setting) for _ in range(2))
    oa, ob = (make_optimizer(optimizer, m.params, 0.05) for m in (a, b))
    for _ in range(3):
        loss_a, grads = a.loss_and_grads(X, y)
        oa.step(a.params, grads)
        loss_b = b.train_batch(X, y, ob)
        assert loss_b == pytest.approx(loss_a, rel=1e-5)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-6)


def test_from_params_copies_and_predicts_the_same():
    model = MLP((12, 7, 3), activation="tanh", seed=0)
    clone = MLP.from_params(model.params, activation="tanh")
    X = np.random.default_rng(0).random((5, 12), dtype=np.float32)
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    clone.params[0][:] = 0
    assert np.any(model.params[0] != 0)


def test_backward_needs_a_training_forward():
    model = MLP((4, 3, 2), seed=0)
    model.forward(np.zeros((2, 4)))
    with pytest.raises(RuntimeError, match="forward"):
        model.backward(np.zeros((2, 2), dtype=np.float32))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(activation="swish"), "activation"),
        (dict(init="lecun"), "init"),
        (dict(dropout=0.99), "dropout"),
        (dict(l2=-1.0), "l2"),
        (dict(dtype="float16"), "dtype"),
    ],
)
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        MLP((4, 3, 2), **kwargs)


def test_wrong_input_width_is_a_data_error():
    with pytest.raises(DataError, match=r"\(n, 4\)"):
        MLP((4, 3, 2), seed=0).predict(np.zeros((2, 5)))
