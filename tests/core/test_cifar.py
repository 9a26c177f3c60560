"""CIFAR-10 from its binary layout: small files written here, read back exactly."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from data_fakes import (
    LoopbackServer,
    cifar_files,
    fake_cifar,
    isolate_data,
    sha256,
    tar_gz,
    write_files,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import load_dataset
from core.data.cifar import CLASS_NAMES, read_cifar
from core.errors import DataError, DatasetUnavailable


@pytest.fixture
def env(monkeypatch, tmp_path):
    isolate_data(monkeypatch, tmp_path / "cache")
    return monkeypatch


def hwc(images_chw):
    return images_chw.transpose(0, 2, 3, 1)


def assert_round_trip(d, batches):
    """Test set in order, channels last; the five training batches split into train + val."""
    images, labels = batches["test_batch.bin"]
    assert d.image_shape == (32, 32, 3) and d.n_features == 3072
    assert d.X_test.dtype == np.float32 and d.X_test.min() >= 0 and d.X_test.max() <= 1
    np.testing.assert_array_equal(np.rint(d.images(d.X_test) * 255), hwc(images))
    np.testing.assert_array_equal(d.y_test, labels)
    train = [batches[f"data_batch_{i}.bin"] for i in range(1, 6)]
    expected = {
        hwc(im[None])[0].tobytes(): lab
        for ims, labs in train
        for im, lab in zip(ims, labs, strict=True)
    }
    got_X = np.concatenate([d.X_train, d.X_val])
    got_y = np.concatenate([d.y_train, d.y_val])
    assert len(got_X) == len(expected)
    for row, label in zip(got_X, got_y, strict=True):
        assert expected[np.rint(row * 255).astype(np.uint8).tobytes()] == label


def test_the_archive_round_trips(env, tmp_path):
    batches = fake_cifar()
    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(tar_gz(cifar_files(batches)))
    d = load_dataset("cifar10", path=tmp_path, val_fraction=0.2, download=False)
    assert_round_trip(d, batches)
    assert d.class_names == CLASS_NAMES and d.name == "cifar10"
    assert d.source.startswith("CIFAR-10 from") and str(archive) in d.source


def test_a_pixel_lands_where_the_format_puts_it(env, tmp_path):
    batches = fake_cifar(per_batch=2)
    images, _ = batches["test_batch.bin"]
    images[0] = 0
    images[0, 1, 4, 7] = 255  # green channel, row 4, column 7
    write_files(tmp_path / "cifar-10-batches-bin", cifar_files(batches))
    d = load_dataset("cifar10", path=tmp_path, download=False)
    image = d.images(d.X_test)[0]
    assert image[4, 7, 1] == 1.0 and image.sum() == 1.0


def test_an_extracted_folder_and_its_class_names(env, tmp_path):
    batches = fake_cifar(seed=1)
    names = b"".join(f"class {i}\n".encode() for i in range(10))
    folder = write_files(tmp_path / "cifar-10-batches-bin", cifar_files(batches, meta=names))
    d = load_dataset("cifar10", path=folder, val_fraction=0.2, download=False)
    assert_round_trip(d, batches)
    assert d.class_names == tuple(f"class {i}" for i in range(10))


def test_standard_names_without_the_meta_file_and_a_folder_as_the_name(env, tmp_path):
    batches = fake_cifar(seed=2)
    folder = write_files(tmp_path / "colour", cifar_files(batches, meta=None))
    d = load_dataset(str(folder), val_fraction=0.2)
    assert_round_trip(d, batches)
    assert d.class_names == CLASS_NAMES and d.name == "colour"


def test_found_through_backprop_data(env, tmp_path):
    batches = fake_cifar(seed=3)
    write_files(tmp_path / "datasets" / "cifar10" / "cifar-10-batches-bin", cifar_files(batches))
    env.setenv("BACKPROP_DATA", str(tmp_path / "datasets"))
    d = load_dataset("cifar10", val_fraction=0.2, download=False)
    assert "BACKPROP_DATA" in d.source
    assert_round_trip(d, batches)


def folder_with(tmp_path, change) -> object:
    files = cifar_files(fake_cifar())
    change(files)
    return write_files(tmp_path / "cifar-10-batches-bin", files)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda f: f.update({"data_batch_2.bin": f["data_batch_2.bin"][:-10]}),
            r"data_batch_2\.bin: 18,428 bytes is not a whole number of 3073-byte records",
        ),
        (
            lambda f: f.update({"test_batch.bin": f["test_batch.bin"] + b"\x01"}),
            r"test_batch\.bin: .* record 7 is cut short at 1 bytes",
        ),
        (lambda f: f.update({"data_batch_1.bin": b""}), r"data_batch_1\.bin: empty file"),
        (
            lambda f: f.update({"test_batch.bin": b"\x0c" + f["test_batch.bin"][1:]}),
            r"record 0 has label 12, but there are only 10 classes",
        ),
        (lambda f: f.pop("data_batch_4.bin"), r"batch files missing: data_batch_4\.bin"),
        (lambda f: f.update({"batches.meta.txt": b"\xff\xfe"}), "not a text file"),
    ],
    ids=["short-record", "extra-byte", "empty", "label", "missing", "meta"],
)
def test_damaged_batches(env, tmp_path, change, problem):
    folder = folder_with(tmp_path, change)
    with pytest.raises(DataError, match=problem):
        load_dataset("cifar10", path=folder, download=False)


def test_a_cut_archive(env, tmp_path):
    data = tar_gz(cifar_files(fake_cifar()))
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(
        DataError, match=r"cifar-10-binary\.tar\.gz: not a readable CIFAR-10 archive"
    ):
        load_dataset("cifar10", path=tmp_path, download=False)


def test_an_xz_archive_damaged_inside_its_data(env, tmp_path):
    """``tarfile`` reads any compression; xz reports damage with an error of its own."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:xz") as tar:
        for name, data in cifar_files(fake_cifar(per_batch=20)).items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = bytearray(out.getvalue())
    data[len(data) // 2] ^= 0xFF
    archive = tmp_path / "cifar-10-binary.tar"
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"cifar-10-binary\.tar: not a readable CIFAR-10 archive"):
        read_cifar(archive)


def test_an_archive_without_the_batches(env, tmp_path):
    data = tar_gz({"readme.txt": b"hello"})
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(data)
    with pytest.raises(DataError, match=r"no cifar-10-batches-bin/data_batch_1\.bin inside"):
        load_dataset("cifar10", path=tmp_path, download=False)


def test_an_archive_member_that_is_not_a_regular_file(env, tmp_path):
    files = cifar_files(fake_cifar())
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        link = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        for name, data in files.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(out.getvalue())
    with pytest.raises(DataError, match="not a regular file"):
        load_dataset("cifar10", path=tmp_path, download=False)


def test_downloaded_archive_is_verified_and_cached(env, tmp_path):
    batches = fake_cifar(seed=4)
    archive = tar_gz(cifar_files(batches))
    pins = {"cifar-10-binary.tar.gz": sha256(archive)}
    with LoopbackServer({"cifar-10-binary.tar.gz": archive}) as server:
        d = load_dataset("cifar10", mirror=server.url, pins=pins, val_fraction=0.2)
        again = load_dataset("cifar10", mirror=server.url, pins=pins, val_fraction=0.2)
        assert server.total_requests == 1
        with pytest.raises(DataError, match="discarded"):
            load_dataset("cifar10", mirror=server.url)  # the official pin: refused
    assert_round_trip(d, batches)
    assert again.source.endswith("(cache)")


def test_offline_without_cifar(env):
    with pytest.raises(DatasetUnavailable, match=r"CIFAR-10 is not available(.|\n)*digits"):
        load_dataset("cifar10", download=False)


ARCHIVE = tar_gz(cifar_files(fake_cifar(per_batch=2)))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, len(ARCHIVE)),
    flips=st.lists(st.tuples(st.integers(0, len(ARCHIVE) - 1), st.integers(1, 255)), max_size=3),
)
def test_any_damage_to_the_archive_gives_a_data_error_and_nothing_else(tmp_path, cut, flips):
    data = bytearray(ARCHIVE)
    for at, mask in flips:
        data[at] ^= mask
    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(bytes(data[:cut]))
    try:
        raw = read_cifar(archive)
    except DataError:
        return
    assert raw.train_images.shape[1:] == (32, 32, 3)
