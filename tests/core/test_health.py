"""Health figures: PCA of hidden activations, weight histograms, and their place in a Snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from core.nn.model import MLP
from core.training.config import Config
from core.training.health import (
    PCA_SAMPLE,
    hidden_pca,
    principal_components,
    sample_rows,
    snapshot_extras,
    weight_histograms,
)
from core.training.metrics import hidden_activations
from core.training.trainer import Trainer


def test_principal_components_match_the_covariance_eigenvectors():
    rng = np.random.default_rng(1)
    # Stretched along known axes: variances 9, 4, 0.25 after a rotation.
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    A = (rng.normal(size=(400, 3)) * [3.0, 2.0, 0.5]) @ Q.T + [5.0, -1.0, 2.0]
    points, share = principal_components(A)
    C = A - A.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov(C.T, bias=True))
    for i, col in enumerate((2, 1)):  # eigh sorts ascending: the largest two, largest first
        expected = C @ vecs[:, col]
        assert abs(np.corrcoef(points[:, i], expected)[0, 1]) == pytest.approx(1.0, abs=1e-6)
        assert np.var(points[:, i]) == pytest.approx(vals[col], rel=1e-4)
    assert share == pytest.approx(vals[[2, 1]] / vals.sum(), rel=1e-6)
    assert share[0] > share[1]


def test_axis_signs_do_not_depend_on_row_or_unit_order():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(200, 6)) * np.arange(1, 7)
    p1, _ = principal_components(A)
    p2, _ = principal_components(A[::-1])
    np.testing.assert_allclose(p2[::-1], p1, atol=1e-4)
    # Hidden units have no order: shuffling them must not mirror the map.
    p3, _ = principal_components(A[:, rng.permutation(6)])
    np.testing.assert_allclose(p3, p1, atol=1e-4)


def test_degenerate_inputs_give_zeros_not_errors():
    points, share = principal_components(np.ones((10, 4)))  # no variance at all
    assert points.shape == (10, 2) and np.all(points == 0) and np.all(share == 0)
    points, share = principal_components(np.arange(5.0)[:, None])  # a single axis
    assert points.shape == (5, 2) and np.all(points[:, 1] == 0) and share[0] == pytest.approx(1)
    assert principal_components(np.zeros((1, 3)))[0].shape == (1, 2)


def test_hidden_pca_projects_the_last_hidden_layer(digits):
    model = MLP((digits.n_features, 20, 12, digits.n_classes), seed=3)
    X = digits.X_val[:100]
    points, share = hidden_pca(model, X)
    expected, _ = principal_components(hidden_activations(model, X)[-1])
    np.testing.assert_allclose(points, expected)
    assert points.shape == (100, 2) and 0 < share.sum() <= 1 + 1e-9
    shallow = MLP((digits.n_features, digits.n_classes), seed=3)
    np.testing.assert_allclose(hidden_pca(shallow, X)[0], principal_components(X)[0])


def test_weight_histograms_count_every_weight_of_each_layer():
    model = MLP((30, 20, 5), seed=0)
    hists = weight_histograms(model.params, bins=16)
    assert len(hists) == 2
    for (counts, edges), W in zip(hists, model.weights, strict=True):
        assert counts.shape == (16,) and edges.shape == (17,)
        assert counts.sum() == W.size
        assert edges[0] == pytest.approx(W.min()) and edges[-1] == pytest.approx(W.max())
    counts, edges = weight_histograms([np.zeros((3, 2)), np.zeros(2)], bins=4)[0]
    assert counts.sum() == 6 and edges[0] < 0 < edges[-1]  # constant weights: a real range


def test_sample_rows_is_fixed_and_bounded():
    a, b = sample_rows(5000), sample_rows(5000)
    assert np.array_equal(a, b) and a.size == PCA_SAMPLE and np.all(np.diff(a) > 0)
    assert np.array_equal(sample_rows(30), np.arange(30))


def test_trainer_snapshots_carry_the_health_extras(digits):
    config = Config(dataset="digits", hidden=(24,), epochs=2, batch_size=64, seed=0)
    snaps = [ev for ev in Trainer(config, digits).run() if type(ev).__name__ == "Snapshot"]
    assert len(snaps) == 2
    first, last = (s.extras for s in snaps)
    n = min(PCA_SAMPLE, len(digits.y_val))
    assert first["pca"].shape == (n, 2) and first["pca_images"].shape == (n, digits.n_features)
    rows = sample_rows(len(digits.y_val))
    assert np.array_equal(first["pca_labels"], digits.y_val[rows])
    assert np.array_equal(first["pca_labels"], last["pca_labels"])  # the same digits each time
    assert not np.allclose(first["pca"], last["pca"])  # they move as the network learns
    assert first["hist_counts_1"].sum() == digits.n_features * 24
    assert first["hist_counts_2"].sum() == 24 * digits.n_classes
    assert not first["pca"].flags.writeable


def test_extras_are_read_only_copies(digits):
    model = MLP((digits.n_features, 8, digits.n_classes), seed=0)
    X = digits.X_val.copy()
    extras = snapshot_extras(model, X, digits.y_val)
    X[:] = 0
    assert extras["pca_images"].max() > 0
    assert all(not a.flags.writeable for a in extras.values())


def test_large_matrices_take_the_randomized_path_to_the_same_axes():
    rng = np.random.default_rng(5)
    # Hidden activations have a decaying spectrum: a few strong directions, a long tail.
    U, _ = np.linalg.qr(rng.normal(size=(500, 120)))
    V, _ = np.linalg.qr(rng.normal(size=(300, 120)))
    s = 50.0 * 0.8 ** np.arange(120)
    A = (U * s) @ V.T + 3.0
    points, share = principal_components(A)
    C = A - A.mean(axis=0)
    _, s_exact, Vt = np.linalg.svd(C, full_matrices=False)
    for i in range(2):
        assert abs(np.corrcoef(points[:, i], C @ Vt[i])[0, 1]) == pytest.approx(1.0, abs=1e-8)
    assert share == pytest.approx(s_exact[:2] ** 2 / np.sum(s_exact**2), rel=1e-8)
