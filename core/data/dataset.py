"""The :class:`Dataset` value and the entry point that builds one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.errors import DataError


@dataclass(frozen=True)
class Dataset:
    """Train / validation / test splits of one image-classification dataset.

    Images are flattened: ``X_*`` is ``(n, prod(image_shape))`` float32 in [0, 1];
    ``y_*`` is ``(n,)`` int64 class indices into ``class_names``.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    source: str

    @property
    def n_features(self) -> int:
        return int(np.prod(self.image_shape))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def split_validation(
    X: np.ndarray, y: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified, seeded train/validation split."""
    from sklearn.model_selection import train_test_split

    X_tr, X_val, y_tr, y_val = train_test_split(
        X, y, test_size=val_fraction, random_state=seed, stratify=y
    )
    return X_tr, y_tr, X_val, y_val


def load_digits_dataset(val_fraction: float = 1 / 12, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits: 1,797 images, always available offline."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y
    )
    X_tr, y_tr, X_val, y_val = split_validation(X_rest, y_rest, val_fraction, seed)
    return Dataset(
        "digits", X_tr, y_tr, X_val, y_val, X_test, y_test, (8, 8),
        tuple(str(i) for i in range(10)), "scikit-learn bundled 8x8 digits",
    )


def load_dataset(
    name: str,
    path: str | None = None,
    *,
    val_fraction: float = 1 / 12,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
    download: bool = True,
) -> Dataset:
    """Load ``name`` ("mnist", "fashion_mnist", "digits", "cifar10" or a folder of IDX files)."""
    key = name.lower().replace("-", "_")
    if key == "digits":
        return load_digits_dataset(val_fraction, seed)
    raise DataError(f"dataset {name!r}: not available yet")
