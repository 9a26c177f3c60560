"""Softmax fused with cross-entropy.

L = mean_i( logsumexp(z_i) - z_i[y_i] ), and dL/dz = (softmax(z) - onehot(y)) / m.
Fusing the two avoids ever taking log of a probability that underflowed to 0, and
subtracting each row's max keeps exp from overflowing. Everything stays in the
logits' dtype; only the mean over the batch is accumulated in float64.
"""

from __future__ import annotations

import numpy as np


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
    z = logits
    z -= z.max(axis=1, keepdims=True)
    picked = z[rows, y]
    np.exp(z, out=z)
    sums = z.sum(axis=1)
    per_sample = np.log(sums)
    per_sample -= picked
    loss = float(np.add.reduce(per_sample, dtype=np.float64)) / m
    if not want_grad:
        return loss, None
    # softmax / m in one pass: each row times 1 / (m * sum).
    sums *= m
    np.reciprocal(sums, out=sums)
    z *= sums[:, None]
    z[rows, y] -= 1.0 / m
    return loss, z
