"""The same network and loop in PyTorch (CPU, eager), for comparison only.

torch is a benchmark dependency (requirements-bench.txt), never a product one.
Two intra-op threads, like numpy's BLAS on this machine; float32; the same
shuffle-and-gather per batch (``index_select`` into a reused buffer); plain SGD.
"""

from __future__ import annotations

import numpy as np

from bench.loops import LEARNING_RATE


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


class TorchLoop:
    """784-hidden-10 MLP, cross-entropy, SGD, eager mode."""

    name = "pytorch"

    def __init__(self, X: np.ndarray, y: np.ndarray, hidden: int, batch: int, seed: int = 0):
        import torch

        torch.set_num_threads(2)
        torch.manual_seed(seed)
        self.torch = torch
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y)
        self.batch = batch
        k = int(y.max()) + 1
        self.model = torch.nn.Sequential(
            torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, k)
        )
        self.loss = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.xbuf = torch.empty((batch, X.shape[1]), dtype=self.X.dtype)
        self.ybuf = torch.empty(batch, dtype=self.y.dtype)
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> None:
        torch = self.torch
        n = self.X.shape[0]
        order = torch.randperm(n, generator=self.generator)
        for start in range(0, n, self.batch):
            idx = order[start : start + self.batch]
            m = idx.shape[0]
            xb = torch.index_select(self.X, 0, idx, out=self.xbuf[:m])
            yb = torch.index_select(self.y, 0, idx, out=self.ybuf[:m])
            loss = self.loss(self.model(xb), yb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
