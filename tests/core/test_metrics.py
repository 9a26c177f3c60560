"""Metrics: counts checked against plain loops, saliency against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from core.nn.model import MLP
from core.training.metrics import (
    accuracy,
    confusion_matrix,
    dead_unit_fraction,
    evaluate_set,
    gradient_norms,
    hidden_activations,
    least_confident_correct,
    misclassified_by_confidence,
    most_confused_pairs,
    per_class_accuracy,
    saliency,
)


def test_confusion_matrix_matches_counting_by_hand():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 500)
    p = np.where(rng.random(500) < 0.7, y, rng.integers(0, 4, 500))
    cm = confusion_matrix(y, p, 4)
    expected = np.zeros((4, 4), dtype=np.int64)
    for t, q in zip(y, p, strict=True):
        expected[t, q] += 1
    assert np.array_equal(cm, expected)
    assert accuracy(y, p) == pytest.approx(np.trace(cm) / 500)
    rec = per_class_accuracy(cm)
    assert rec == pytest.approx([expected[i, i] / expected[i].sum() for i in range(4)])


def test_per_class_accuracy_of_an_absent_class_is_nan_and_pairs_are_ranked():
    cm = np.array([[5, 0, 3], [0, 0, 0], [7, 1, 2]])
    rec = per_class_accuracy(cm)
    assert rec[0] == pytest.approx(5 / 8) and np.isnan(rec[1])
    assert most_confused_pairs(cm, 2) == [(2, 0, 7), (0, 2, 3)]
    assert most_confused_pairs(np.eye(3, dtype=int), 5) == []


def test_mistakes_ranked_by_confidence_and_near_misses_per_class():
    probs = np.array(
        [
            [0.9, 0.1],  # true 1: confident mistake
            [0.6, 0.4],  # true 1: mild mistake
            [0.55, 0.45],  # true 0: right, barely
            [0.99, 0.01],  # true 0: right, sure
            [0.3, 0.7],  # true 1: right
            [0.2, 0.8],  # true 1: right, surer
        ]
    )
    y = np.array([1, 1, 0, 0, 1, 1])
    assert misclassified_by_confidence(probs, y).tolist() == [0, 1]
    assert misclassified_by_confidence(probs, y, limit=1).tolist() == [0]
    assert least_confident_correct(probs, y, per_class=1).tolist() == [2, 4]
    assert sorted(least_confident_correct(probs, y, per_class=5).tolist()) == [2, 3, 4, 5]


def test_saliency_matches_finite_differences():
    model = MLP([12, 7, 5, 3], activation="tanh", dtype="float64", seed=3)
    X = np.random.default_rng(0).random((2, 12))
    target = 2
    grad = saliency(model, X, target)
    assert grad.shape == X.shape
    eps = 1e-6
    for i, j in [(0, 0), (0, 5), (1, 11), (1, 3)]:
        up, down = X.copy(), X.copy()
        up[i, j] += eps
        down[i, j] -= eps
        numeric = (model.forward(up)[i, target] - model.forward(down)[i, target]) / (2 * eps)
        assert grad[i, j] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_dead_units_are_those_constant_over_the_sample():
    model = MLP([4, 10, 3], activation="relu", seed=0)
    model.params[0][:] = np.abs(model.params[0]) + 0.1  # every unit fires on positive inputs
    model.params[1][:3] = -1e3  # ... except three, which never can on inputs in [0, 1]
    X = np.random.default_rng(0).random((200, 4)).astype(np.float32)
    assert dead_unit_fraction(model, X) == (pytest.approx(0.3),)


def test_gradient_norms_per_layer_join_weights_and_bias():
    grads = [np.full((2, 2), 1.0), np.full(2, 2.0), np.zeros((2, 1)), np.array([3.0])]
    assert gradient_norms(grads) == pytest.approx((np.sqrt(4 + 8), 3.0))


def test_confusion_matrix_refuses_labels_outside_its_classes():
    with pytest.raises(ValueError, match=r"y_pred holds labels outside \[0, 3\)"):
        confusion_matrix(np.array([0, 1]), np.array([3, 1]), 3)
    with pytest.raises(ValueError, match="y_true"):
        confusion_matrix(np.array([-1, 1]), np.array([0, 1]), 3)
    assert confusion_matrix(np.array([], np.int64), np.array([], np.int64), 3).sum() == 0


@pytest.mark.parametrize("hidden", [(20, 12), ()])
def test_one_pass_over_a_set_gives_the_figures_of_the_separate_ones(digits, hidden):
    model = MLP((digits.n_features, *hidden, digits.n_classes), seed=4)
    if hidden:
        model.params[1][:5] = -50.0  # five units that never fire: dead ones to find
    X, y = digits.X_val, digits.y_val
    sample = np.sort(np.random.default_rng(0).choice(len(y), 40, replace=False))
    # Chunks of 32 rows: the dead-unit sample and the hidden sample cross chunk edges.
    ev = evaluate_set(model, X, y, dead_rows=70, sample=sample, batch_size=32)
    loss, acc = model.evaluate(X, y)
    assert ev.loss == pytest.approx(loss, rel=1e-6) and ev.accuracy == acc
    np.testing.assert_allclose(ev.probs, model.predict_proba(X), rtol=1e-5, atol=1e-7)
    assert np.array_equal(ev.pred, model.forward(X).argmax(axis=1))
    assert ev.dead_fraction == pytest.approx(dead_unit_fraction(model, X[:70]))
    inside = hidden_activations(model, X[sample])
    np.testing.assert_allclose(
        ev.hidden_sample, inside[-1] if hidden else X[sample], rtol=1e-5, atol=1e-6
    )
    if hidden:
        assert ev.dead_fraction[0] >= 5 / 20
