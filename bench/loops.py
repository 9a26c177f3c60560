"""The training loops the speed section races, each one epoch per call.

- :class:`ReferenceLoop`: a minimal float32 NumPy loop written the way a careful
  person writes it (int labels, no one-hot, a gather into a reused buffer, in-place
  element-wise work). It is the yardstick the engine is measured against.
- :class:`MatmulFloor`: only the five matrix products of a batch at their real
  shapes, over contiguous slices of the data: no gather, no element-wise work. No
  loop over this network can be faster on this BLAS.
- :class:`GatherFloor`: only the shuffle and the per-batch gather.
- :class:`EngineLoop`: our engine's hot loop (``BatchSampler`` + ``train_step``),
  without the Trainer around it.
- :class:`TrainerLoop`: our ``Trainer`` as the app runs it: a ``TrainingControl``
  attached, every event consumed.

All work on ``X`` ``(n, 784)`` float32 and ``y`` ``(n,)`` int64 with one hidden
layer ``(784, hidden, 10)`` and plain SGD at learning rate 0.1.
"""

from __future__ import annotations

import numpy as np

LEARNING_RATE = 0.1


def he_weights(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """He-normal ``(fan_in, fan_out)`` float32 weights, as the engine's ReLU default."""
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class ReferenceLoop:
    """Minimal float32 NumPy training loop for ``(d, hidden, k)`` with softmax cross-entropy."""

    name = "numpy"

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int = 0):
        self.X, self.y, self.batch = X, y, batch
        d, k = X.shape[1], int(y.max()) + 1
        self.rng = np.random.default_rng(seed)
        self.W1, self.b1 = he_weights(self.rng, d, hidden), np.zeros(hidden, np.float32)
        self.W2, self.b2 = he_weights(self.rng, hidden, k), np.zeros(k, np.float32)
        self.xbuf = np.empty((batch, d), np.float32)
        self.ybuf = np.empty(batch, y.dtype)
        self.lr = np.float32(LEARNING_RATE)
        self.last_loss = float("nan")

    def epoch(self) -> None:
        X, y, lr = self.X, self.y, self.lr
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        order = self.rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], self.batch):
            idx = order[start : start + self.batch]
            m = idx.shape[0]
            xb = np.take(X, idx, axis=0, out=self.xbuf[:m], mode="clip")
            yb = np.take(y, idx, out=self.ybuf[:m], mode="clip")
            rows = np.arange(m)
            # forward
            H = xb @ W1
            H += b1
            np.maximum(H, 0, out=H)
            Z = H @ W2
            Z += b2
            # softmax cross-entropy, gradient (P - Y) / m
            Z -= Z.max(axis=1, keepdims=True)
            picked = Z[rows, yb]
            np.exp(Z, out=Z)
            sums = Z.sum(axis=1)
            loss = float(np.mean(np.log(sums) - picked))
            Z /= sums[:, None]
            Z[rows, yb] -= 1
            Z *= np.float32(1.0 / m)
            # backward
            dW2 = H.T @ Z
            db2 = Z.sum(axis=0)
            dH = Z @ W2.T
            dH *= H > 0
            dW1 = xb.T @ dH
            db1 = dH.sum(axis=0)
            # SGD
            dW1 *= lr
            W1 -= dW1
            db1 *= lr
            b1 -= db1
            dW2 *= lr
            W2 -= dW2
            db2 *= lr
            b2 -= db2
        self.last_loss = loss


class MatmulFloor:
    """The five matrix products of each batch, alone, into preallocated outputs."""

    name = "matmul floor"

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int = 0):
        self.X, self.batch = X, batch
        d, k = X.shape[1], int(y.max()) + 1
        rng = np.random.default_rng(seed)
        self.W1, self.W2 = he_weights(rng, d, hidden), he_weights(rng, hidden, k)
        self.H = np.empty((batch, hidden), np.float32)
        self.Z = np.empty((batch, k), np.float32)
        self.dZ = rng.standard_normal((batch, k)).astype(np.float32)
        self.dH = np.empty((batch, hidden), np.float32)
        self.dW1 = np.empty_like(self.W1)
        self.dW2 = np.empty_like(self.W2)

    def epoch(self) -> None:
        X, W1, W2 = self.X, self.W1, self.W2
        for start in range(0, X.shape[0], self.batch):
            xb = X[start : start + self.batch]
            m = xb.shape[0]
            H, Z, dZ, dH = self.H[:m], self.Z[:m], self.dZ[:m], self.dH[:m]
            np.matmul(xb, W1, out=H)  # (m, d) @ (d, h)
            np.matmul(H, W2, out=Z)  # (m, h) @ (h, k)
            np.matmul(H.T, dZ, out=self.dW2)  # (h, m) @ (m, k)
            np.matmul(dZ, W2.T, out=dH)  # (m, k) @ (k, h)
            np.matmul(xb.T, dH, out=self.dW1)  # (d, m) @ (m, h)


class GatherFloor:
    """The shuffle and the per-batch gather of a training epoch, alone."""

    name = "gather floor"

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int = 0):
        self.X, self.y, self.batch = X, y, batch
        self.rng = np.random.default_rng(seed)
        self.xbuf = np.empty((batch, X.shape[1]), X.dtype)
        self.ybuf = np.empty(batch, y.dtype)

    def epoch(self) -> None:
        order = self.rng.permutation(self.X.shape[0])
        for start in range(0, self.X.shape[0], self.batch):
            idx = order[start : start + self.batch]
            m = idx.shape[0]
            np.take(self.X, idx, axis=0, out=self.xbuf[:m], mode="clip")
            np.take(self.y, idx, out=self.ybuf[:m], mode="clip")


class EngineLoop:
    """Our engine's hot loop: ``core.nn.batches.BatchSampler`` feeding ``train_step``."""

    name = "engine"

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int = 0):
        from core.nn.batches import BatchSampler, train_step
        from core.nn.model import MLP
        from core.nn.optim import make_optimizer

        self.model = MLP((X.shape[1], hidden, int(y.max()) + 1), seed=seed)
        self.optimizer = make_optimizer("sgd", self.model.params, LEARNING_RATE)
        self.sampler = BatchSampler(X, y, batch, np.random.default_rng(seed))
        self.train_step = train_step

    def epoch(self) -> None:
        for xb, yb in self.sampler.epoch():
            self.train_step(self.model, self.optimizer, xb, yb)


class TrainerLoop:
    """Our Trainer for one epoch, as the app runs it: control attached, all events consumed.

    A fresh Trainer per call, so each timing holds the whole run: start-up, the
    epoch, the validation pass and the snapshot the views would draw.
    """

    name = "trainer"

    def __init__(self, dataset, hidden: int, batch: int, seed: int = 0):
        from core.training.config import Config

        self.dataset = dataset
        self.config = Config(
            dataset=dataset.name,
            hidden=(hidden,),
            batch_size=batch,
            epochs=1,
            learning_rate=LEARNING_RATE,
            optimizer="sgd",
            seed=seed,
        )
        self.events = 0

    def epoch(self) -> None:
        from core.training.control import TrainingControl
        from core.training.trainer import Trainer

        trainer = Trainer(self.config, self.dataset, TrainingControl())
        for _event in trainer.run():
            self.events += 1
