"""What a dataset holds, in figures a person can look at: the Data tab's numbers.

:func:`summarize` gives, for one :class:`~core.data.Dataset`:

- ``counts`` ``(3, k)``: how many images of each class the training, validation and
  test sets hold;
- ``samples`` ``(k, m, d)``: up to ``m`` training images of each class, drawn with a
  seeded generator (``shown[c]`` of them are real; a class with fewer images leaves
  the rest zero);
- ``means`` ``(k, d)``: the mean training image of each class. Summed for all
  classes at once as ``onehot(y)ᵀ X``, one matrix product per chunk of rows, so the
  training set is read once;
- ``histogram`` ``(channels, 256)``: how many training pixel values fall in each of
  256 equal bins of [0, 1], per colour channel. A value ``v`` goes to bin
  ``floor(256 v)`` (1.0 to the last one), so every 8-bit level ``j / 255`` has a
  bin of its own.

The training set is read in chunks of :data:`CHUNK` rows and
``progress(what, done, total)`` is called after each; it may raise to cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.data.dataset import Dataset

Progress = Callable[[str, int, int], None]

#: Training images read at a time (bounds the temporaries: 4,096 x 3,072 floats at most).
CHUNK = 4096
#: Bins of the pixel-value histogram: one per 8-bit level.
BINS = 256
#: Splits in the order ``counts`` holds them.
SPLITS = ("train", "val", "test")


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSummary:
    """One dataset in figures (see the module doc); every array is read-only."""

    name: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, ...]
    counts: np.ndarray
    samples: np.ndarray
    shown: np.ndarray
    means: np.ndarray
    histogram: np.ndarray


def summarize(
    dataset: Dataset, per_class: int = 8, *, seed: int = 0, progress: Progress | None = None
) -> DataSummary:
    """The figures of ``dataset`` (see the module doc), ``per_class`` samples of each class."""
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ConfigError(f"per_class: {per_class!r} is not a whole number >= 1")
    k, d = dataset.n_classes, dataset.n_features
    X, y = dataset.X_train, dataset.y_train
    counts = np.stack(
        [np.bincount(labels, minlength=k)[:k] for labels in (y, dataset.y_val, dataset.y_test)]
    )
    rng = np.random.default_rng(seed)
    samples = np.zeros((k, per_class, d), dtype=np.float32)
    shown = np.zeros(k, dtype=np.int64)
    for c in range(k):
        rows = np.flatnonzero(y == c)
        picked = np.sort(rng.choice(rows, size=min(per_class, rows.size), replace=False))
        samples[c, : picked.size] = X[picked]
        shown[c] = picked.size

    channels = dataset.image_shape[2] if len(dataset.image_shape) == 3 else 1
    sums = np.zeros((k, d), dtype=np.float64)
    histogram = np.zeros((channels, BINS), dtype=np.int64)
    total = -(-len(y) // CHUNK)
    for number, start in enumerate(range(0, len(y), CHUNK)):
        chunk, labels = X[start : start + CHUNK], y[start : start + CHUNK]
        onehot = np.zeros((k, len(labels)), dtype=X.dtype)
        onehot[labels, np.arange(len(labels))] = 1
        sums += onehot @ chunk
        levels = np.minimum(chunk * np.float32(BINS), np.float32(BINS - 1)).astype(np.intp)
        for channel, values in enumerate(_channels(levels, channels)):
            histogram[channel] += np.bincount(values, minlength=BINS)
        if progress is not None:
            progress("Summarising the training set", number + 1, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts[0][:, None] > 0, sums / counts[0][:, None], 0.0)
    return DataSummary(
        name=dataset.name,
        class_names=tuple(dataset.class_names),
        image_shape=tuple(dataset.image_shape),
        counts=_frozen(counts),
        samples=_frozen(samples),
        shown=_frozen(shown),
        means=_frozen(means.astype(np.float32)),
        histogram=_frozen(histogram),
    )


def _channels(levels: np.ndarray, channels: int) -> list[np.ndarray]:
    """The bin numbers of each colour channel, flat (channels are the last axis of an image)."""
    if channels == 1:
        return [levels.reshape(-1)]
    per_pixel = levels.reshape(-1, channels)
    return [per_pixel[:, c] for c in range(channels)]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a
