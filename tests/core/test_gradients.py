"""Backpropagation against central differences, in float64.

The analytic gradient of every parameter must match (L(p + h) - L(p - h)) / 2h to a
relative error below 1e-6, for every activation, with L2 on, at depths 0 to 3.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.nn.model import MLP
from core.training.config import ACTIVATIONS

EPS = 1e-6


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30))


def _numerical_grads(model: MLP, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    out = []
    for p in model.params:
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + EPS
            up, _ = model.loss_and_grads(X, y)
            flat[i] = old - EPS
            down, _ = model.loss_and_grads(X, y)
            flat[i] = old
            gflat[i] = (up - down) / (2 * EPS)
        out.append(g)
    return out


def _problem(depth: int, activation: str, l2: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = (7, *(6, 5, 4)[:depth], 4)
    model = MLP(sizes, activation=activation, l2=l2, dtype="float64", seed=seed)
    for b in model.biases:  # non-zero biases, so their gradients are exercised too
        b[:] = rng.normal(0, 0.1, b.shape)
    X = rng.normal(0, 1, (9, 7))
    y = rng.integers(0, 4, 9)
    return model, X, y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_backprop_matches_central_differences(activation, depth, l2):
    model, X, y = _problem(depth, activation, l2)
    _, grads = model.loss_and_grads(X, y)
    numeric = _numerical_grads(model, X, y)
    for name, g, n in zip(model.param_names, grads, numeric, strict=True):
        assert g.dtype == np.float64
        assert _relative_error(g, n) < 1e-6, name


def test_softmax_regression_gradient():
    """Depth 0: no hidden layer, the network is multinomial logistic regression."""
    model, X, y = _problem(0, "relu", 0.01)
    _, grads = model.loss_and_grads(X, y)
    for g, n in zip(grads, _numerical_grads(model, X, y), strict=True):
        assert _relative_error(g, n) < 1e-6


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_input_gradient_is_the_derivative_of_a_logit(activation):
    model, X, _ = _problem(2, activation, 0.0, seed=3)
    target = 2
    dX = model.input_gradient(X, target)
    numeric = np.zeros_like(X)
    for idx in np.ndindex(*X.shape):
        old = X[idx]
        X[idx] = old + EPS
        up = model.forward(X)[:, target].sum()
        X[idx] = old - EPS
        down = model.forward(X)[:, target].sum()
        X[idx] = old
        numeric[idx] = (up - down) / (2 * EPS)
    assert _relative_error(dX, numeric) < 1e-6


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_log_prob_gradient_is_the_derivative_of_a_log_probability(activation):
    model, X, _ = _problem(2, activation, 0.0, seed=5)
    target = np.arange(len(X)) % model.sizes[-1]  # one target per row

    def log_p(inputs):
        z = model.forward(inputs)
        z = z - z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return log_probs[np.arange(len(inputs)), target].sum()

    probs, dX = model.log_prob_gradient(X, target)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probs.argmax(axis=1), model.predict(X))
    numeric = np.zeros_like(X)
    for idx in np.ndindex(*X.shape):
        old = X[idx]
        X[idx] = old + EPS
        up = log_p(X)
        X[idx] = old - EPS
        down = log_p(X)
        X[idx] = old
        numeric[idx] = (up - down) / (2 * EPS)
    assert _relative_error(dX, numeric) < 1e-6


def test_l2_decays_weights_but_not_biases():
    model, X, y = _problem(2, "tanh", 0.0)
    _, plain = model.loss_and_grads(X, y)
    model.l2 = 0.1
    _, decayed = model.loss_and_grads(X, y)
    for name, p, g0, g1 in zip(model.param_names, model.params, plain, decayed, strict=True):
        expected = g0 + 0.1 * p if name.startswith("W") else g0
        np.testing.assert_allclose(g1, expected, rtol=1e-12, atol=1e-15)
