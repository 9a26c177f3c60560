"""What to measure about a classifier, beyond its loss: all vectorised NumPy.

Conventions: ``y_true`` and ``y_pred`` are int class indices ``(n,)``; ``probs``
is ``(n, k)``; a confusion matrix ``cm`` is ``(k, k)`` with rows the true class
and columns the predicted one, so ``cm[4, 9]`` counts 4s read as 9s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.nn.losses import softmax_with_loss
from core.nn.model import MLP


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of ``y_pred`` equal to ``y_true`` (0.0 for no samples)."""
    y_true = np.asarray(y_true)
    return float(np.mean(y_true == np.asarray(y_pred))) if y_true.size else 0.0


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``(k, k)`` int64 of (true, predicted) pairs, by one ``np.bincount``.

    A label outside ``[0, k)`` is refused: it would otherwise be counted in another
    class's cell (a prediction of ``k`` for a true ``0`` lands in ``cm[1, 0]``).
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} holds labels outside [0, {n_classes})")
    flat = y_true * n_classes + y_pred
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class ``(k,)``: correct / present; NaN for a class with no samples."""
    totals = cm.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


def most_confused_pairs(cm: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``, count > 0."""
    off = np.array(cm, dtype=np.int64, copy=True)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:k]
    rows, cols = np.unravel_index(order, off.shape)
    return [
        (int(r), int(c), int(off[r, c])) for r, c in zip(rows, cols, strict=True) if off[r, c] > 0
    ]


def misclassified_by_confidence(
    probs: np.ndarray,
    y_true: np.ndarray,
    limit: int | None = None,
    pred: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the wrong predictions, most confident mistake first (at most ``limit``).

    ``pred`` ``(n,)`` may pass the predictions when they are known already.
    """
    pred = probs.argmax(axis=1) if pred is None else pred
    wrong = np.flatnonzero(pred != y_true)
    confidence = probs[wrong, pred[wrong]]
    ranked = wrong[np.argsort(-confidence, kind="stable")]
    return ranked if limit is None else ranked[:limit]


def least_confident_correct(
    probs: np.ndarray,
    y_true: np.ndarray,
    per_class: int = 10,
    pred: np.ndarray | None = None,
) -> np.ndarray:
    """For each class, the ``per_class`` right answers with the lowest probability on it.

    These are the near misses: right, but only just, and worth a look beside the errors.
    ``pred`` as in :func:`misclassified_by_confidence`.
    """
    pred = probs.argmax(axis=1) if pred is None else pred
    right = np.flatnonzero(pred == y_true)
    conf = probs[right, y_true[right]]
    # Sort by (class, confidence) in one go, then keep the first few of each class.
    order = np.lexsort((conf, y_true[right]))
    right, classes = right[order], y_true[right][order]
    starts = np.searchsorted(classes, classes, side="left")
    rank = np.arange(classes.size) - starts
    return right[rank < per_class]


def saliency(model: MLP, X: np.ndarray, target: np.ndarray | int) -> np.ndarray:
    """d(logit of ``target``)/d(pixels) ``(n, n_in)``, exact through the model's backward pass."""
    return model.input_gradient(X, target)


def hidden_activations(model: MLP, X: np.ndarray) -> list[np.ndarray]:
    """The output of each hidden layer ``[(n, h1), (n, h2), ...]`` at inference (no dropout)."""
    A = np.asarray(X, dtype=model.dtype)
    outs = []
    for l in range(model.n_layers - 1):
        Z = A @ model.params[2 * l]
        Z += model.params[2 * l + 1]
        A = model.act.forward(Z)
        outs.append(A)
    return outs


def dead_unit_fraction(model: MLP, X: np.ndarray, tol: float = 1e-6) -> tuple[float, ...]:
    """Per hidden layer, the fraction of units whose output is constant over ``X``.

    A ReLU unit that outputs 0 for every input, or a saturated sigmoid/tanh unit,
    passes no information forward and gets (almost) no gradient back: it is dead.
    """
    return _dead_fractions(
        [
            (A.max(axis=0), A.min(axis=0)) if A.shape[0] else None
            for A in hidden_activations(model, X)
        ],
        tol,
    )


def _dead_fractions(
    ranges: Sequence[tuple[np.ndarray, np.ndarray] | None], tol: float
) -> tuple[float, ...]:
    """Per layer, the share of units whose ``(max, min)`` over the sample differ by <= ``tol``.

    ``None`` (no sample rows) counts every unit as dead, as a spread of 0 would.
    """
    return tuple(1.0 if r is None else float(np.mean(r[0] - r[1] <= tol)) for r in ranges)


@dataclass(frozen=True)
class SetEvaluation:
    """What one inference pass over a labelled set tells (see :func:`evaluate_set`).

    ``probs`` ``(n, k)`` and ``pred`` ``(n,)`` cover every row; ``dead_fraction``
    is per hidden layer, over the first ``dead_rows`` rows; ``hidden_sample``
    ``(s, h_last)`` holds the last hidden layer's outputs for the requested
    sample rows (the inputs themselves for a network without hidden layers).
    """

    loss: float
    accuracy: float
    probs: np.ndarray
    pred: np.ndarray
    dead_fraction: tuple[float, ...]
    hidden_sample: np.ndarray


def evaluate_set(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    dead_rows: int = 1000,
    sample: np.ndarray | None = None,
    batch_size: int = 4096,
    tol: float = 1e-6,
) -> SetEvaluation:
    """Loss, accuracy, probabilities, dead units and hidden sample of ``X`` ``(n, d)`` in one pass.

    The same figures as :meth:`MLP.evaluate`, :meth:`MLP.predict_proba`,
    :func:`dead_unit_fraction` on ``X[:dead_rows]`` and :func:`hidden_activations`
    on ``X[sample]`` (``sample`` sorted row indices), for the price of one forward
    pass: the end of every epoch needs all of them. ``pred`` is the argmax of the
    logits, the prediction ``accuracy`` counts.
    """
    X = np.asarray(X)
    n, k, depth = X.shape[0], model.sizes[-1], model.n_layers - 1
    probs = np.empty((n, k), dtype=model.dtype)
    pred = np.empty(n, dtype=np.intp)
    sample = np.empty(0, dtype=np.intp) if sample is None else np.asarray(sample)
    if depth:
        hidden_sample = np.empty((sample.size, model.sizes[-2]), dtype=model.dtype)
    else:  # nothing inside: the inputs stand in
        hidden_sample = np.asarray(X[sample], dtype=model.dtype)
    ranges: list[tuple[np.ndarray, np.ndarray] | None] = [None] * depth
    total = 0.0
    for start, logits, hidden in model.forward_chunks(X, batch_size):
        stop = start + logits.shape[0]
        np.argmax(logits, axis=1, out=pred[start:stop])
        loss, chunk_probs = softmax_with_loss(logits, y[start:stop])
        probs[start:stop] = chunk_probs
        total += loss * logits.shape[0]
        if start < dead_rows:
            for i, A in enumerate(hidden):
                _widen(ranges, i, A[: dead_rows - start])
        lo, hi = np.searchsorted(sample, (start, stop))
        if depth and hi > lo:
            hidden_sample[lo:hi] = hidden[-1][sample[lo:hi] - start]
    correct = int(np.count_nonzero(pred == y))
    return SetEvaluation(
        total / max(n, 1),
        correct / max(n, 1),
        probs,
        pred,
        _dead_fractions(ranges, tol),
        hidden_sample,
    )


def _widen(ranges: list, i: int, A: np.ndarray) -> None:
    """Fold the column max and min of ``A`` ``(c, h)`` into ``ranges[i]``."""
    if A.shape[0] == 0:
        return
    hi, lo = A.max(axis=0), A.min(axis=0)
    if ranges[i] is not None:
        np.maximum(hi, ranges[i][0], out=hi)
        np.minimum(lo, ranges[i][1], out=lo)
    ranges[i] = (hi, lo)


def layer_norms(arrays: Sequence[np.ndarray]) -> tuple[float, ...]:
    """L2 norm per layer of ``[W1, b1, W2, b2, ...]``-shaped arrays (weights and bias together).

    Used for weight norms and, on the gradients of a batch, per-layer gradient norms:
    a layer whose gradient norm is orders of magnitude below the others barely learns.
    """
    return tuple(
        float(np.sqrt(np.vdot(W, W) + np.vdot(b, b)))
        for W, b in zip(arrays[0::2], arrays[1::2], strict=True)
    )


def gradient_norms(grads: Sequence[np.ndarray]) -> tuple[float, ...]:
    """Per-layer L2 norm of a gradient list ``[dW1, db1, ...]``."""
    return layer_norms(grads)
