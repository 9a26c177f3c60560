"""What the health panel has gathered from a run's snapshots: series, histograms, the map.

Plain data, no widgets: one point per snapshot of each layer's weight and
gradient norms and of each hidden layer's dead share (a snapshot of an epoch
already seen replaces its point: the weights restored after a divergence, then
the epoch's end), the weight histograms now and at the run's first snapshot,
and the latest PCA map of the last hidden layer.
"""

from __future__ import annotations

import numpy as np

from core.training.events import Snapshot


class HealthSeries:
    """The health figures of one run, as the snapshots brought them."""

    def __init__(self) -> None:
        self.clear()

    def reset(self, n_layers: int, n_hidden: int) -> None:
        """Empty time series for ``n_layers`` layers and ``n_hidden`` hidden layers."""
        self.x: list[float] = []
        self.weight: list[list[float]] = [[] for _ in range(n_layers)]
        self.grad: list[list[float]] = [[] for _ in range(n_layers)]
        self.dead: list[list[float]] = [[] for _ in range(n_hidden)]

    def clear(self) -> None:
        """Forget everything (a new run)."""
        self.reset(0, 0)
        self.hists_now: list[tuple[np.ndarray, np.ndarray]] = []
        self.hists_first: list[tuple[np.ndarray, np.ndarray]] = []
        self.shapes_now: list[tuple[int, ...]] = []
        self.shapes_first: list[tuple[int, ...]] = []
        self.first_epoch = 0
        self.now_epoch = 0
        self.points = np.zeros((0, 2))
        self.share = np.zeros(2)
        self.labels = np.zeros(0, dtype=np.int64)
        self.images: np.ndarray | None = None
        self.shape: tuple[int, ...] = (-1,)
        self.names: tuple[str, ...] = ()
        self.shown_epoch: int | None = None

    def name(self, c: int) -> str:
        return self.names[c] if c < len(self.names) else str(c)

    def add(self, snap: Snapshot) -> None:
        """Take ``snap``'s figures (the layers must match :meth:`reset`'s). A moment of
        the timeline looked back at (``extras["moment"]``) adds no point to the series."""
        n_layers = len(snap.weight_norms)
        self.shown_epoch = snap.epoch + 1
        if "moment" not in snap.extras:
            self._add_point(snap, n_layers)
        ex = snap.extras
        now = [
            (ex[f"hist_counts_{l}"], ex[f"hist_edges_{l}"])
            for l in range(1, n_layers + 1)
            if f"hist_counts_{l}" in ex
        ]
        shapes = [tuple(W.shape) for W in snap.params[0::2]]
        if len(now) == n_layers:
            self.hists_now, self.shapes_now = now, shapes
            self.now_epoch = snap.epoch + 1
            if len(self.hists_first) != n_layers:
                self.hists_first, self.shapes_first = now, shapes
                self.first_epoch = snap.epoch + 1
        if "pca" in ex:
            self.points = np.asarray(ex["pca"], dtype=float)
            self.labels = np.asarray(ex["pca_labels"])
            self.images = ex["pca_images"]
            self.share = np.asarray(ex.get("pca_variance", (0.0, 0.0)))
            self.shape = tuple(snap.image_shape)
            self.names = tuple(snap.class_names)

    def _add_point(self, snap: Snapshot, n_layers: int) -> None:
        x = snap.epoch + 1.0
        if self.x and self.x[-1] == x:  # the same epoch again: the newer picture wins
            for series in (self.x, *self.weight, *self.grad, *self.dead):
                series.pop()
        self.x.append(x)
        for l in range(n_layers):
            self.weight[l].append(snap.weight_norms[l])
            grad = snap.grad_norms[l] if l < len(snap.grad_norms) else np.nan
            self.grad[l].append(grad if grad > 0 else np.nan)
        for l in range(len(self.dead)):
            self.dead[l].append(snap.dead_fraction[l] if l < len(snap.dead_fraction) else np.nan)
