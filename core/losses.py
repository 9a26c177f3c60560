"""Softmax fused with cross-entropy.

L = mean_i( logsumexp(z_i) - z_i[y_i] ), and dL/dz = (softmax(z) - onehot(y)) / m.
Fusing the two avoids ever taking log of a probability that underflowed to 0, and
the max subtraction keeps exp from overflowing.
"""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, want_grad: bool = True
) -> tuple[float, np.ndarray | None]:
    """Mean loss over the batch and, with ``want_grad``, dL/dlogits ``(m, k)``.

    ``logits`` is ``(m, k)`` and is overwritten; ``y`` holds int class indices ``(m,)``.
    """
    m = logits.shape[0]
    rows = np.arange(m)
    z = logits
    z -= z.max(axis=1, keepdims=True)
    picked = z[rows, y].astype(np.float64)
    np.exp(z, out=z)
    sums = z.sum(axis=1)
    loss = float(np.mean(np.log(sums.astype(np.float64)) - picked)) if m else 0.0
    if not want_grad:
        return loss, None
    z /= sums[:, None]
    z[rows, y] -= 1
    z *= z.dtype.type(1.0 / max(m, 1))
    return loss, z
