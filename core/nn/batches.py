"""Mini-batches for the hot loop: one shuffle per epoch, one gather per batch.

The gather writes into a buffer allocated once, so an epoch allocates nothing the
size of the dataset; ``np.take(..., mode="clip")`` is used because the default mode
copies the whole source array into a temporary when ``out=`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core.nn.model import MLP
from core.nn.optim import Optimizer


class BatchSampler:
    """Shuffled mini-batches of ``(X, y)``; ``batch_size`` may change between batches.

    ``X`` is ``(n, d)``, ``y`` is ``(n,)``. The arrays yielded are views of reused
    buffers: valid until the next batch, so consumers must copy what they keep.
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
    ) -> None:
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.rng = rng
        self._xbuf = np.empty((0, X.shape[1]), dtype=X.dtype)
        self._ybuf = np.empty(0, dtype=y.dtype)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def batches_left(self, position: int) -> int:
        """How many batches remain from sample ``position`` at the current batch size."""
        return -(-(self.n - position) // self.batch_size)

    def epoch(self, start: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass over the data in a fresh random order, from sample ``start`` of that order.

        The order is always drawn first, so a run continued from the middle of an
        epoch (``start`` samples done) draws the same order and skips what was done.
        """
        order = self.rng.permutation(self.n)
        pos = start
        while pos < self.n:
            k = min(self.batch_size, self.n - pos)
            if self._xbuf.shape[0] < k:
                self._xbuf = np.empty((k, self.X.shape[1]), dtype=self.X.dtype)
                self._ybuf = np.empty(k, dtype=self.y.dtype)
            idx = order[pos : pos + k]
            xb = self.X.take(idx, axis=0, out=self._xbuf[:k], mode="clip")
            yb = self.y.take(idx, out=self._ybuf[:k], mode="clip")
            pos += k
            yield xb, yb


def train_step(model: MLP, optimizer: Optimizer, X: np.ndarray, y: np.ndarray) -> float:
    """One step of ``optimizer`` on a batch; returns the batch loss before the step."""
    return model.train_batch(X, y, optimizer)
