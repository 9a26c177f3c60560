"""Fashion-MNIST from Debian's dataset-fashion-mnist package, when it is installed."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from core.data import load_dataset
from core.data.catalog import FASHION_NAMES

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def raw_idx(name: str, offset: int) -> np.ndarray:
    data = gzip.decompress((DEBIAN / f"{name}.gz").read_bytes())
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


@pytest.mark.skipif(
    not (DEBIAN / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"{DEBIAN} absent (Debian package dataset-fashion-mnist not installed)",
)
def test_fashion_mnist_from_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.delenv("BACKPROP_DATA", raising=False)
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path))
    d = load_dataset("fashion-mnist", download=False)
    assert str(DEBIAN) in d.source and d.source.startswith("Fashion-MNIST")
    assert d.name == "fashion_mnist" and d.class_names == FASHION_NAMES
    assert d.class_names[9] == "Ankle boot" and d.image_shape == (28, 28)
    assert len(d.y_train) + len(d.y_val) == 60_000 and d.X_test.shape == (10_000, 784)

    train_labels = raw_idx("train-labels-idx1-ubyte", 8)
    hist = np.bincount(np.concatenate([d.y_train, d.y_val]), minlength=10)
    np.testing.assert_array_equal(hist, np.bincount(train_labels, minlength=10))
    np.testing.assert_array_equal(d.y_test, raw_idx("t10k-labels-idx1-ubyte", 8))
    test_bytes = np.rint(d.X_test * 255).astype(np.uint8).ravel()
    np.testing.assert_array_equal(test_bytes, raw_idx("t10k-images-idx3-ubyte", 16))
