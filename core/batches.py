"""Mini-batches for the hot loop: one shuffle per epoch, one gather per batch.

The gather writes into a buffer allocated once, so an epoch allocates nothing the
size of the dataset; ``np.take(..., mode="clip")`` is used because the default mode
copies the whole source array into a temporary when ``out=`` is given.

Images that came as bytes are gathered as bytes: a random row costs a cache miss
per 64 bytes read, so reading 784 bytes instead of 3,136 floats is most of the
gather's time, and scaling the gathered batch (a cast and a multiply, in cache)
gives the same float32 values the dataset holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core.model import MLP
from core.optim import Optimizer


class BatchSampler:
    """Shuffled mini-batches of ``(X, y)``; ``batch_size`` may change between batches.

    ``X`` is ``(n, d)``, ``y`` is ``(n,)``. ``X_bytes`` may pass uint8 rows ``(n, d)``
    with ``X == X_bytes * scale`` exactly (as ``Dataset.train_bytes``); batches are
    then gathered from them. The arrays yielded are views of reused buffers: valid
    until the next batch, so consumers must copy what they keep.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        rng: np.random.Generator,
        *,
        X_bytes: np.ndarray | None = None,
        scale: float = 1 / 255,
    ) -> None:
        if X_bytes is not None and (X_bytes.dtype != np.uint8 or X_bytes.shape != X.shape):
            raise ValueError(f"X_bytes: uint8 {X.shape} expected, got {X_bytes.dtype} "
                             f"{X_bytes.shape}")
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.rng = rng
        self._source = X if X_bytes is None else X_bytes
        self._scale = X.dtype.type(scale)
        self._xbuf = np.empty((0, X.shape[1]), dtype=X.dtype)
        self._bbuf = np.empty((0, X.shape[1]), dtype=self._source.dtype)
        self._ybuf = np.empty(0, dtype=y.dtype)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def batches_left(self, position: int) -> int:
        """How many batches remain from sample ``position`` at the current batch size."""
        return -(-(self.n - position) // self.batch_size)

    def epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass over the data in a fresh random order."""
        n, source, y = self.n, self._source, self.y
        order = self.rng.permutation(n)
        from_bytes = source is not self.X
        pos = 0
        while pos < n:
            k = min(self.batch_size, n - pos)
            if self._xbuf.shape[0] < k:
                self._xbuf = np.empty((k, source.shape[1]), dtype=self.X.dtype)
                self._ybuf = np.empty(k, dtype=y.dtype)
                if from_bytes:
                    self._bbuf = np.empty((k, source.shape[1]), dtype=source.dtype)
            idx = order[pos : pos + k]
            xb = self._xbuf[:k]
            if from_bytes:
                np.copyto(xb, source.take(idx, axis=0, out=self._bbuf[:k], mode="clip"))
                xb *= self._scale
            else:
                source.take(idx, axis=0, out=xb, mode="clip")
            yb = y.take(idx, out=self._ybuf[:k], mode="clip")
            pos += k
            yield xb, yb


def train_step(model: MLP, optimizer: Optimizer, X: np.ndarray, y: np.ndarray) -> float:
    """One step of ``optimizer`` on a batch; returns the batch loss before the step."""
    return model.train_batch(X, y, optimizer)
