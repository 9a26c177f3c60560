"""A dataset in figures: counts per split, samples and mean per class, pixel histogram."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.dataset import Dataset
from core.data.summary import BINS, summarize
from core.errors import ConfigError


def colour_dataset(seed: int = 0) -> Dataset:
    """Three classes of 4x5 RGB images with 8-bit values; class 2 has only two images."""
    rng = np.random.default_rng(seed)

    def split(n: int, labels: list[int]) -> tuple[np.ndarray, np.ndarray]:
        X = rng.integers(0, 256, (n, 4 * 5 * 3)).astype(np.float32) / np.float32(255)
        return X, np.asarray(labels, dtype=np.int64)

    X_tr, y_tr = split(12, [0] * 6 + [1] * 4 + [2] * 2)
    X_val, y_val = split(3, [0, 1, 1])
    X_te, y_te = split(4, [0, 0, 1, 2])
    return Dataset(
        "shapes", X_tr, y_tr, X_val, y_val, X_te, y_te, (4, 5, 3), ("a", "b", "c"), "made up"
    )


def test_the_figures_are_those_of_the_training_set():
    d = colour_dataset()
    s = summarize(d, per_class=3, seed=1)
    assert s.counts.tolist() == [[6, 4, 2], [1, 2, 0], [2, 1, 1]]
    assert s.shown.tolist() == [3, 3, 2] and s.samples.shape == (3, 3, 60)
    for c in range(3):
        mine = d.X_train[d.y_train == c]
        for sample in s.samples[c, : s.shown[c]]:  # each is a training image of its class
            assert (mine == sample).all(axis=1).any()
        assert not s.samples[c, s.shown[c] :].any()
        assert np.allclose(s.means[c], mine.mean(axis=0), atol=1e-6)
    # Every 8-bit level has a bin of its own, per channel.
    levels = np.rint(d.X_train * 255).astype(int).reshape(-1, 3)
    assert s.histogram.shape == (3, BINS)
    for channel in range(3):
        assert (
            s.histogram[channel].tolist() == np.bincount(levels[:, channel], minlength=256).tolist()
        )
    assert summarize(d, per_class=3, seed=1).samples.tolist() == s.samples.tolist()
    with pytest.raises(ValueError):
        s.counts[0, 0] = 9  # read-only: the value crosses threads


def test_progress_can_cancel_and_bad_options_are_refused():
    d = colour_dataset()
    seen = []

    def stop(what, done, total):
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        summarize(d, progress=stop)
    assert seen == [(1, 1)]
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ConfigError, match="per_class"):
            summarize(d, per_class=bad)
