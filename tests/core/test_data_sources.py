"""Where datasets are found, in which order, and what is refused on the way."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from data_fakes import (
    fake_mnist,
    gz,
    idx_bytes,
    idx_files,
    isolate_data,
    sha256,
    write_files,
)

from core.data import load_dataset
from core.errors import ConfigError, DataError, DatasetUnavailable


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No BACKPROP_DATA or mirror from the outside; an empty private cache."""
    isolate_data(monkeypatch, tmp_path / "cache")
    return monkeypatch


def bytes_of(X):
    return np.rint(X * 255).astype(np.uint8)


def assert_matches(d, arrays):
    """The dataset holds exactly ``arrays``: test set in order, train set split in two."""
    n = len(arrays["train_images"])
    np.testing.assert_array_equal(
        bytes_of(d.X_test), arrays["test_images"].reshape(len(d.X_test), -1)
    )
    np.testing.assert_array_equal(d.y_test, arrays["test_labels"])
    rows = np.concatenate([bytes_of(d.X_train), bytes_of(d.X_val)])
    labels = np.concatenate([d.y_train, d.y_val])
    order = np.lexsort(rows.T[::-1])
    expected = arrays["train_images"].reshape(n, -1)
    expected_order = np.lexsort(expected.T[::-1])
    np.testing.assert_array_equal(rows[order], expected[expected_order])
    np.testing.assert_array_equal(labels[order], arrays["train_labels"][expected_order])


def test_explicit_path_loads_its_files(env, tmp_path):
    arrays = fake_mnist()
    folder = write_files(tmp_path / "mine", idx_files(arrays))
    d = load_dataset("mnist", path=folder, download=False)
    assert_matches(d, arrays)
    assert d.image_shape == (6, 5) and d.n_features == 30
    assert d.X_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert str(folder) in d.source and "given path" in d.source


def test_an_explicit_path_is_the_only_place_looked_at(env, tmp_path):
    env.setenv("BACKPROP_DATA", str(write_files(tmp_path / "elsewhere", idx_files(fake_mnist()))))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", path=empty, download=False)
    message = str(info.value)
    assert str(empty) in message and "missing train-images-idx3-ubyte[.gz]" in message
    assert "elsewhere" not in message and "--dataset digits" in message


def test_backprop_data_as_a_folder_of_datasets(env, tmp_path):
    arrays = fake_mnist(seed=1)
    write_files(tmp_path / "datasets" / "mnist", idx_files(arrays))
    env.setenv("BACKPROP_DATA", str(tmp_path / "datasets"))
    d = load_dataset("mnist", download=False)
    assert_matches(d, arrays)
    assert str(tmp_path / "datasets" / "mnist") in d.source and "BACKPROP_DATA" in d.source


def test_backprop_data_pointing_straight_at_raw_files_with_either_spelling(env, tmp_path):
    arrays = fake_mnist(seed=2)
    files = idx_files(arrays, compress=False)
    files = {name.replace("t10k-images-idx", "t10k-images.idx"): v for name, v in files.items()}
    env.setenv("BACKPROP_DATA", str(write_files(tmp_path / "plain", files)))
    assert_matches(load_dataset("mnist", download=False), arrays)


def test_backprop_data_comes_before_the_cache(env, tmp_path):
    in_data, in_cache = fake_mnist(seed=3), fake_mnist(seed=4)
    env.setenv("BACKPROP_DATA", str(write_files(tmp_path / "data", idx_files(in_data))))
    write_files(tmp_path / "cache" / "mnist", idx_files(in_cache, compress=False))
    assert_matches(load_dataset("mnist", download=False), in_data)
    env.delenv("BACKPROP_DATA")
    d = load_dataset("mnist", download=False)
    assert_matches(d, in_cache)
    assert "(cache)" in d.source


def test_cached_files_are_checked_against_their_pins(env, tmp_path):
    files = idx_files(fake_mnist(seed=5))
    write_files(tmp_path / "cache" / "mnist", files)
    pins = {name: sha256(data) for name, data in files.items()}
    assert load_dataset("mnist", download=False, pins=pins).source.endswith("(cache)")
    # With the official pins these files are not MNIST: they are removed from the cache.
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", download=False)
    assert "failed its checksum, removed" in str(info.value)
    assert not any((tmp_path / "cache" / "mnist").iterdir())


def test_offline_with_nothing_anywhere_lists_every_place_tried(env, tmp_path):
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", download=False)
    message = str(info.value)
    assert "MNIST is not available" in message
    assert "BACKPROP_DATA: not set" in message
    assert str(tmp_path / "cache" / "mnist") in message
    assert "download: turned off" in message
    assert "--dataset digits" in message


@pytest.fixture
def labelled_like_mnist(mnist_dir, tmp_path):
    """Tiny 1x1 images carrying the real MNIST training labels."""
    labels = np.frombuffer(
        gzip.decompress((mnist_dir / "train-labels-idx1-ubyte.gz").read_bytes()), np.uint8, offset=8
    )
    arrays = fake_mnist(n_train=len(labels), n_test=20, shape=(1, 1))
    arrays["train_labels"] = labels
    return write_files(tmp_path / "unnamed", idx_files(arrays))


def test_mnist_is_never_taken_for_fashion_mnist(env, labelled_like_mnist):
    with pytest.raises(DatasetUnavailable, match="holds MNIST, not Fashion-MNIST"):
        load_dataset("fashion_mnist", path=labelled_like_mnist, download=False)
    env.setenv("BACKPROP_DATA", str(labelled_like_mnist))
    d = load_dataset("mnist", download=False)
    assert len(d.y_train) + len(d.y_val) == 60_000 and "BACKPROP_DATA" in d.source


def test_a_folder_as_the_dataset_name(env, tmp_path):
    arrays = fake_mnist(n_train=60, n_test=30, shape=(4, 4, 3), classes=3)
    folder = write_files(tmp_path / "shapes", idx_files(arrays))
    d = load_dataset(str(folder))
    assert_matches(d, arrays)
    assert d.name == "shapes" and d.class_names == ("0", "1", "2")
    assert d.image_shape == (4, 4, 3) and d.n_features == 48
    assert d.images(d.X_test).shape == (30, 4, 4, 3)
    np.testing.assert_array_equal(bytes_of(d.images(d.X_test)), arrays["test_images"])


def test_unknown_names_and_empty_folders(env, tmp_path):
    with pytest.raises(DataError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet")
    with pytest.raises(DatasetUnavailable, match="neither the four IDX files"):
        load_dataset(str(tmp_path))


def test_sha256sums_beside_the_files_are_enforced(env, tmp_path):
    files = idx_files(fake_mnist(seed=6))
    folder = write_files(tmp_path / "summed", files)
    sums = "".join(f"{sha256(data)}  {name}\n" for name, data in files.items())
    (folder / "SHA256SUMS").write_text(sums)
    assert load_dataset("mnist", path=folder, download=False).n_classes == 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gz(idx_bytes(np.zeros(40, dtype=np.uint8))))
    with pytest.raises(DataError, match="SHA256SUMS beside it says"):
        load_dataset("mnist", path=folder, download=False)
    (folder / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(DataError, match="line 1 is not"):
        load_dataset("mnist", path=folder, download=False)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda a: a.update(train_labels=a["train_labels"][:-1]),
            "label count 119 differs from image count 120",
        ),
        (
            lambda a: a.update(test_images=a["test_images"][:, :5, :4]),
            "images are 5 x 4, but the training images",
        ),
        (lambda a: a["train_labels"].__setitem__(3, 12), "label 12 at index 3 is not one of"),
        (lambda a: a.update(test_images=a["test_images"].astype(">f4")), "unsigned bytes"),
        (lambda a: a.update(test_labels=a["test_labels"].astype(">f4")), "must be integers"),
        (
            lambda a: a.update(train_labels=-a["train_labels"].astype(np.int8) - 1),
            "label -1 at index 0 is negative",
        ),
    ],
    ids=["count", "size", "range", "float-pixels", "float-labels", "negative"],
)
def test_files_that_disagree_with_each_other(env, tmp_path, change, problem):
    arrays = fake_mnist()
    change(arrays)
    folder = write_files(tmp_path / "bad", idx_files(arrays))
    with pytest.raises(DataError, match=problem):
        load_dataset("mnist", path=folder, download=False)


def test_a_folder_whose_labels_would_make_billions_of_classes_is_refused(env, tmp_path):
    arrays = fake_mnist()
    arrays["test_labels"] = arrays["test_labels"].astype(">i4")
    arrays["test_labels"][5] = 2_000_000_000
    folder = write_files(tmp_path / "wide", idx_files(arrays))
    with pytest.raises(
        DataError,
        match=r"t10k-labels-idx1-ubyte\.gz: label 2000000000 would "
        r"make 2,000,000,001 classes",
    ):
        load_dataset(str(folder))


def test_a_damaged_file_in_a_folder_is_a_data_error_naming_it(env, tmp_path):
    files = idx_files(fake_mnist())
    files["train-images-idx3-ubyte.gz"] = files["train-images-idx3-ubyte.gz"][:-100]
    folder = write_files(tmp_path / "damaged", files)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: truncated at byte"):
        load_dataset("mnist", path=folder, download=False)


def test_validation_split_size_stratification_and_seed(env, tmp_path):
    folder = write_files(tmp_path / "s", idx_files(fake_mnist(n_train=400, classes=4)))
    a = load_dataset(str(folder), val_fraction=0.25, seed=11)
    assert (len(a.y_train), len(a.y_val)) == (300, 100)
    np.testing.assert_array_equal(np.bincount(a.y_val), [25, 25, 25, 25])
    b = load_dataset(str(folder), val_fraction=0.25, seed=11)
    np.testing.assert_array_equal(a.X_val, b.X_val)
    c = load_dataset(str(folder), val_fraction=0.25, seed=12)
    assert not np.array_equal(a.X_val, c.X_val)


def test_a_split_that_cannot_be_stratified_is_still_made(env, tmp_path):
    arrays = fake_mnist(n_train=12, n_test=10, classes=10)  # two classes have one example
    folder = write_files(tmp_path / "tiny", idx_files(arrays))
    d = load_dataset(str(folder), val_fraction=0.25, seed=0)
    assert len(d.y_train) + len(d.y_val) == 12 and len(d.y_val) == 3


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_val_fraction_out_of_range(env, fraction):
    with pytest.raises(ConfigError, match="val_fraction"):
        load_dataset("digits", val_fraction=fraction)


def test_the_bundled_digits_need_nothing(env):
    d = load_dataset("digits", val_fraction=0.2, seed=3)
    assert d.image_shape == (8, 8) and d.n_classes == 10
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 1797
    assert abs(len(d.y_val) - 0.2 * (len(d.y_train) + len(d.y_val))) <= 1


def test_a_backprop_data_folder_that_does_not_exist_is_reported(env, tmp_path):
    env.setenv("BACKPROP_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", download=False)
    assert f"BACKPROP_DATA {tmp_path / 'nowhere'}: no such folder" in str(info.value)
