"""How healthy the network is inside: figures for the health panel, pure NumPy.

The Trainer adds these to every :class:`~core.training.events.Snapshot` (its ``extras``),
so they are computed in the training thread and the window only draws them:

- ``pca`` ``(n, 2)``: the last hidden layer's activations for a fixed sample of
  validation images, projected on their two principal components. Classes that
  separate here are classes the output layer can tell apart; ``pca_labels``
  ``(n,)``, ``pca_images`` ``(n, d)`` and ``pca_variance`` ``(2,)`` (the share of
  the variance each axis explains) go with it.
- ``hist_counts_<l>`` / ``hist_edges_<l>``: a histogram of layer ``l``'s weights
  (``l`` from 1), so a view can compare them with how they started.

The sample is the same in every snapshot of a run (a seeded choice of rows), so
the points move as the network learns rather than being redrawn at random.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.nn.model import MLP
from core.training.events import frozen
from core.training.metrics import hidden_activations

#: Validation images in the PCA map.
PCA_SAMPLE = 500
#: Bins of each weight histogram.
HIST_BINS = 60
#: Randomized PCA: extra random directions, and power iterations that sharpen them.
OVERSAMPLE = 10
POWER_ITERATIONS = 4


def sample_rows(n_rows: int, size: int = PCA_SAMPLE, seed: int = 0) -> np.ndarray:
    """A fixed, sorted choice of ``min(size, n_rows)`` row indices ``(m,)``."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.permutation(n_rows)[: min(size, n_rows)])


def principal_components(A: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``A`` ``(n, h)`` projected on their top ``k`` principal axes.

    Returns ``(points (n, k) float32, variance share (k,))``. The axes are the
    top right singular vectors of the centred rows: by a full SVD for small
    matrices, by a seeded randomized range finder (Halko, Martinsson and Tropp,
    2011: a few power iterations on ``k + 10`` random directions) for large ones,
    where a full SVD of 500 x 1024 activations would cost tens of milliseconds of
    every epoch for two columns. An axis's sign is arbitrary in PCA; here each
    axis points so that its largest loading is positive, so the map does not
    flip between two snapshots of a network that barely changed. Missing axes
    (fewer rows or a rank below ``k``) are zeros.
    """
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[0]
    points = np.zeros((n, k), dtype=np.float32)
    share = np.zeros(k)
    if n < 2 or A.shape[1] == 0:
        return points, share
    C = A - A.mean(axis=0)
    total = float(np.vdot(C, C))
    Vt, s = _top_right_singular(C, k)
    for i in range(min(k, Vt.shape[0])):
        v = Vt[i]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        points[:, i] = C @ v
        share[i] = s[i] ** 2 / total if total > 0 else 0.0
    return points, share


def _top_right_singular(C: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` right singular vectors ``(k', h)`` and values ``(k',)`` of ``C``."""
    width = k + OVERSAMPLE
    if min(C.shape) <= 2 * width:
        _, s, Vt = np.linalg.svd(C, full_matrices=False)
        return Vt[:k], s[:k]
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(C @ rng.standard_normal((C.shape[1], width)))[0]
    for _ in range(POWER_ITERATIONS):
        Q = np.linalg.qr(C.T @ Q)[0]
        Q = np.linalg.qr(C @ Q)[0]
    _, s, Vt = np.linalg.svd(Q.T @ C, full_matrices=False)
    return Vt[:k], s[:k]


def hidden_pca(model: MLP, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last hidden layer's activations of ``X`` ``(n, d)`` as 2-D points ``(n, 2)``.

    A network without hidden layers has nothing inside: its inputs are projected.
    Returns ``(points, variance share (2,))`` as :func:`principal_components`.
    """
    layers = hidden_activations(model, X)
    return principal_components(layers[-1] if layers else np.asarray(X))


def weight_histograms(
    params: Sequence[np.ndarray], bins: int = HIST_BINS
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer, ``(counts (bins,), edges (bins + 1,))`` of its weights ``W`` (not biases)."""
    out = []
    for W in params[0::2]:
        w = np.asarray(W).ravel()
        lo, hi = (float(w.min()), float(w.max())) if w.size else (0.0, 0.0)
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(w, bins=bins, range=(lo, hi))
        out.append((counts, edges))
    return out


def snapshot_extras(
    model: MLP, X_val: np.ndarray, y_val: np.ndarray, hidden: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The health figures for a Snapshot's ``extras`` (read-only copies, keys as above).

    ``hidden`` may pass the last hidden layer's outputs for the rows
    ``sample_rows(len(X_val))`` when a pass over the set has them already
    (``core.training.metrics.evaluate_set``); otherwise they are computed here.
    """
    rows = sample_rows(X_val.shape[0])
    X = X_val[rows]
    points, share = hidden_pca(model, X) if hidden is None else principal_components(hidden)
    extras = {
        "pca": frozen(points),
        "pca_variance": frozen(share),
        "pca_labels": frozen(y_val[rows]),
        "pca_images": frozen(X),
    }
    for layer, (counts, edges) in enumerate(weight_histograms(model.params), start=1):
        extras[f"hist_counts_{layer}"] = frozen(counts)
        extras[f"hist_edges_{layer}"] = frozen(edges)
    return extras
