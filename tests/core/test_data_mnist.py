"""Real MNIST through BACKPROP_DATA, checked against the raw files parsed independently."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from core.data import load_dataset


def sums_file(path) -> dict[str, str]:
    lines = path.read_text().split("\n")
    return {name.lstrip("*"): digest for digest, name in (ln.split() for ln in lines if ln)}


def raw_idx(path, offset):
    """An IDX file's payload read with gzip + frombuffer at the known offset, nothing else."""
    return np.frombuffer(gzip.decompress(path.read_bytes()), dtype=np.uint8, offset=offset)


@pytest.fixture(scope="module")
def raw(mnist_dir):
    return {
        "train_images": raw_idx(mnist_dir / "train-images-idx3-ubyte.gz", 16),
        "train_labels": raw_idx(mnist_dir / "train-labels-idx1-ubyte.gz", 8),
        "test_images": raw_idx(mnist_dir / "t10k-images-idx3-ubyte.gz", 16),
        "test_labels": raw_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz", 8),
    }


@pytest.fixture(scope="module")
def via_env(mnist_dir, tmp_path_factory):
    """MNIST loaded with BACKPROP_DATA naming the folder of datasets (``.../mnist`` inside)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BACKPROP_DATA", str(mnist_dir.parent))
        mp.setenv("BACKPROP_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
        return load_dataset("mnist", download=False, seed=0)


def test_shared_files_match_both_checksum_lists(mnist_dir):
    packed = sums_file(mnist_dir / "SHA256SUMS")
    unpacked = sums_file(mnist_dir / "SHA256SUMS.uncompressed")
    assert len(packed) == len(unpacked) == 4
    for name, digest in packed.items():
        data = (mnist_dir / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        inner = hashlib.sha256(gzip.decompress(data)).hexdigest()
        assert inner == unpacked[name.removesuffix(".gz")], name


def test_sizes_shapes_and_types(via_env):
    d = via_env
    assert len(d.X_train) + len(d.X_val) == 60_000
    assert len(d.X_val) == 5_000  # the default 1/12 of the training set
    assert d.X_test.shape == (10_000, 784)
    assert d.image_shape == (28, 28) and d.n_features == 784 and d.n_classes == 10
    assert d.class_names == tuple("0123456789")
    for X, y in ((d.X_train, d.y_train), (d.X_val, d.y_val), (d.X_test, d.y_test)):
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.flags.c_contiguous and X.min() >= 0.0 and X.max() <= 1.0
    assert "BACKPROP_DATA" in d.source and str(via_env.source).startswith("MNIST")


def as_bytes(X):
    """Scaled pixels back to their stored byte values, a slice at a time."""
    return np.concatenate([np.rint(X[i : i + 4096] * 255).astype(np.uint8)
                           for i in range(0, len(X), 4096)])  # fmt: skip


def byte_sum(X):
    return int(as_bytes(X).sum(dtype=np.int64))


def test_pixels_and_labels_match_the_raw_files(via_env, raw):
    d = via_env

    train_sum = int(raw["train_images"].sum(dtype=np.int64))
    assert byte_sum(d.X_train) + byte_sum(d.X_val) == train_sum
    assert byte_sum(d.X_test) == int(raw["test_images"].sum(dtype=np.int64))
    hist = np.bincount(np.concatenate([d.y_train, d.y_val]), minlength=10)
    np.testing.assert_array_equal(hist, np.bincount(raw["train_labels"], minlength=10))
    np.testing.assert_array_equal(np.bincount(d.y_test), np.bincount(raw["test_labels"]))
    # The test set keeps the published order, pixel for pixel.
    expected = raw["test_images"].reshape(10_000, 784)
    np.testing.assert_array_equal(as_bytes(d.X_test), expected)
    np.testing.assert_array_equal(d.y_test, raw["test_labels"])


def test_validation_split_is_stratified(via_env, raw):
    share = np.bincount(raw["train_labels"]) / 60_000
    val_share = np.bincount(via_env.y_val, minlength=10) / len(via_env.y_val)
    assert np.abs(val_share - share).max() < 0.002


def test_each_image_keeps_its_label_through_the_split(via_env, raw):
    images = raw["train_images"].reshape(60_000, 784)
    # Index the raw training images by content to find where each loaded row came from.
    keys = {row.tobytes(): i for i, row in enumerate(images[::97])}
    rows = np.concatenate([as_bytes(via_env.X_train), as_bytes(via_env.X_val)])
    labels = np.concatenate([via_env.y_train, via_env.y_val])
    matched = 0
    for row, label in zip(rows, labels, strict=True):
        i = keys.get(row.tobytes())
        if i is not None:
            assert label == raw["train_labels"][i * 97]
            matched += 1
    assert matched >= len(keys) * 0.99  # (a few MNIST images are exact duplicates)
