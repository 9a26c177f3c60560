"""Softmax fused with cross-entropy.

L = mean_i( logsumexp(z_i) - z_i[y_i] ), and dL/dz = (softmax(z) - onehot(y)) / m.
Fusing the two avoids ever taking log of a probability that underflowed to 0, and
subtracting each row's max keeps exp from overflowing. Everything stays in the
logits' dtype; only the mean over the batch is accumulated in float64.

All three functions work in place on the logits, in any memory order. The
training loop keeps its logits column-major (``(m, k)`` with each class's column
contiguous): a row's max and sum then run down ``m``-long columns, several times
faster than along ``k = 10``-long rows.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np


def _exp_shifted(z: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[float, np.ndarray]:
    """Turn ``z`` into ``exp(z - rowmax)``; return (mean cross-entropy, row sums ``(m,)``).

    Written on ``z.T`` ``(k, m)``: reductions over its first axis combine whole
    columns at a time, which for column-major logits are contiguous.
    """
    m = z.shape[0]
    zt = z.T
    np.subtract(zt, np.maximum.reduce(zt, axis=0), out=zt)
    picked = z[rows, y]
    np.exp(z, out=z)
    sums = np.add.reduce(zt, axis=0)
    per_sample = np.log(sums)
    per_sample -= picked
    return float(np.add.reduce(per_sample, dtype=np.float64)) / m, sums


@overload
def softmax_cross_entropy(
    logits: np.ndarray,
    y: np.ndarray,
    want_grad: Literal[True] = ...,
    rows: np.ndarray | None = ...,
) -> tuple[float, np.ndarray]: ...


@overload
def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, want_grad: Literal[False], rows: np.ndarray | None = ...
) -> tuple[float, None]: ...


def softmax_cross_entropy(
    logits: np.ndarray,
    y: np.ndarray,
    want_grad: bool = True,
    rows: np.ndarray | None = None,
) -> tuple[float, np.ndarray | None]:
    """Mean loss over the batch and, with ``want_grad``, dL/dlogits ``(m, k)``.

    ``logits`` ``(m, k)`` is overwritten (the gradient is returned in its memory);
    ``y`` holds int class indices ``(m,)``; ``rows`` may pass a cached ``arange(m)``.
    """
    m = logits.shape[0]
    if m == 0:
        return 0.0, (logits if want_grad else None)
    if rows is None:
        rows = np.arange(m)
    loss, sums = _exp_shifted(logits, y, rows)
    if not want_grad:
        return loss, None
    # softmax / m in one pass: each row times (1 / m) / sum.
    inv_m = logits.dtype.type(1.0 / m)
    np.divide(inv_m, sums, out=sums)
    np.multiply(logits.T, sums, out=logits.T)
    logits[rows, y] -= inv_m
    return loss, logits


def softmax_with_loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and the softmax probabilities ``(m, k)``, written over ``logits``.

    The same loss as :func:`softmax_cross_entropy`, for a set where both the loss
    and the probabilities are wanted (the validation pass of an epoch).
    """
    m = logits.shape[0]
    if m == 0:
        return 0.0, logits
    loss, sums = _exp_shifted(logits, y, np.arange(m))
    logits /= sums[:, None]
    return loss, logits


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``(m, k)``, written over ``logits`` and returned."""
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits
