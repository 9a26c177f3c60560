"""The IDX reader: exact round trips, and a DataError naming the problem for every bad file."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from data_fakes import gz, idx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.idx import read_idx
from core.errors import DataError

IMAGES = np.random.default_rng(1).integers(0, 256, (50, 7, 6), dtype=np.uint8)


def write(tmp_path, data: bytes, name: str = "file-idx3-ubyte"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "array",
    [
        IMAGES,
        np.arange(-60, 60, dtype=np.int8),
        np.arange(-3000, 3000, 7, dtype=">i2").reshape(-1, 3),
        np.array([[1, -(2**31)], [2**31 - 1, 0]], dtype=">i4"),
        np.linspace(-1, 1, 24, dtype=">f4").reshape(2, 3, 4),
        np.array([np.pi, -np.e, 1e300], dtype=">f8"),
    ],
    ids=["uint8", "int8", "int16", "int32", "float32", "float64"],
)
def test_round_trip_of_every_type_raw_and_gzip(tmp_path, array, compress):
    data = idx_bytes(array)
    path = write(tmp_path, gz(data) if compress else data)
    out = read_idx(path)
    assert out.shape == array.shape
    assert out.dtype == array.dtype.newbyteorder("=")
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = write(tmp_path, gz(idx_bytes(IMAGES)), "no-extension")
    np.testing.assert_array_equal(read_idx(path, ndim=3), IMAGES)
    raw = write(tmp_path, idx_bytes(IMAGES), "misleading.gz")
    np.testing.assert_array_equal(read_idx(raw, ndim=3), IMAGES)


def test_a_multi_member_gzip_file_reads_as_one_stream(tmp_path):
    data = idx_bytes(IMAGES)
    path = write(tmp_path, gz(data[:1000]) + gz(data[1000:]))
    np.testing.assert_array_equal(read_idx(path), IMAGES)


def error_for(tmp_path, data: bytes, **kw) -> str:
    path = write(tmp_path, data)
    with pytest.raises(DataError) as info:
        read_idx(path, **kw)
    message = str(info.value)
    assert str(path) in message
    return message


def test_empty_file(tmp_path):
    assert "empty file" in error_for(tmp_path, b"")


def test_truncated_raw_file_says_where_and_how_long_it_should_be(tmp_path):
    data = idx_bytes(IMAGES)
    message = error_for(tmp_path, data[:1000])
    assert "truncated at byte 1,000" in message
    assert f"expected {len(data):,} bytes" in message


def test_truncated_header(tmp_path):
    assert "truncated at byte 3" in error_for(tmp_path, b"\x00\x00\x08")
    assert "truncated at byte 10" in error_for(tmp_path, idx_bytes(IMAGES)[:10])


def test_file_longer_than_its_header_says(tmp_path):
    message = error_for(tmp_path, idx_bytes(IMAGES) + b"\x00" * 5)
    assert "5 bytes longer than its header says" in message
    assert "longer than its header says" in error_for(tmp_path, gz(idx_bytes(IMAGES) + b"xx"))


def test_wrong_magic(tmp_path):
    data = b"\x01\x02" + idx_bytes(IMAGES)[2:]
    assert "bad magic number 01 02 08 03" in error_for(tmp_path, data)


def test_wrong_type_code(tmp_path):
    data = bytearray(idx_bytes(IMAGES))
    data[2] = 0x07
    assert "unknown type code 0x07" in error_for(tmp_path, bytes(data))


def test_unexpected_number_of_dimensions(tmp_path):
    message = error_for(tmp_path, idx_bytes(IMAGES), ndim=1)
    assert "declares 3 dimensions, expected 1" in message
    assert "expected 3 or 4" in error_for(tmp_path, idx_bytes(np.zeros(4, np.uint8)), ndim=(3, 4))


def test_zero_dimensions_or_empty_sizes_are_refused(tmp_path):
    assert "0 dimensions" in error_for(tmp_path, b"\x00\x00\x08\x00")
    assert "empty array" in error_for(tmp_path, b"\x00\x00\x08\x01" + struct.pack(">I", 0))


def test_random_bytes(tmp_path):
    noise = np.random.default_rng(7).integers(1, 256, 5000, dtype=np.uint8).tobytes()
    assert "bad magic number" in error_for(tmp_path, noise)


def test_gzip_stream_cut_halfway(tmp_path):
    data = gz(idx_bytes(IMAGES))
    message = error_for(tmp_path, data[: len(data) // 2])
    assert "of the uncompressed data" in message
    assert "the gzip stream ends early" in message


def test_gzip_stream_cut_just_before_its_end_marker(tmp_path):
    data = gz(idx_bytes(IMAGES))
    assert "ends before its end marker" in error_for(tmp_path, data[:-4])


def test_gzip_stream_garbled_halfway(tmp_path):
    data = bytearray(gzip.compress(idx_bytes(IMAGES), compresslevel=1, mtime=0))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    assert "gzip stream broken" in error_for(tmp_path, bytes(data))


def test_gzip_checksum_mismatch(tmp_path):
    data = bytearray(gz(idx_bytes(IMAGES)))
    data[-8] ^= 0xFF  # the CRC-32 of the trailer
    assert "checksum does not match" in error_for(tmp_path, bytes(data))


def test_not_a_gzip_stream_after_the_magic(tmp_path):
    assert "not a valid gzip stream" in error_for(tmp_path, b"\x1f\x8b\x00" + bytes(40))


def test_stray_bytes_after_the_gzip_stream(tmp_path):
    assert "after the end of the gzip stream" in error_for(
        tmp_path, gz(idx_bytes(IMAGES)) + b"junk"
    )


HUGE = b"\x00\x00\x08\x03" + struct.pack(">III", 10**9, 28, 28)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_header_claiming_a_billion_images_is_refused_before_allocating(tmp_path, compress):
    data = HUGE + bytes(5000)
    tracemalloc.start()
    try:
        message = error_for(tmp_path, gz(data) if compress else data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert f"{16 + 784 * 10**9:,}" in message
    assert ("truncated at byte" in message) if not compress else ("refusing" in message)


def test_a_believable_header_with_short_gzip_data_is_reported_as_truncated(tmp_path):
    noise = np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    claimed = b"\x00\x00\x08\x03" + struct.pack(">III", 5_000, 28, 28)
    data = gzip.compress(claimed + noise + bytes(1_000_000), mtime=0)
    message = error_for(tmp_path, data)
    assert "truncated at byte 1,050,016 of the uncompressed data" in message
    assert "expected 3,920,016 bytes" in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "absent")
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path)


VALID = gz(idx_bytes(IMAGES[:5]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(0, len(VALID)),
    flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), max_size=4),
    compress=st.booleans(),
)
def test_any_damage_gives_a_data_error_and_nothing_else(tmp_path, cut, flips, compress):
    base = bytearray(VALID if compress else idx_bytes(IMAGES[:5]))
    for at, mask in flips:
        base[at % len(base)] ^= mask
    path = write(tmp_path, bytes(base[:cut]))
    try:
        out = read_idx(path)
    except DataError:
        return
    # An undamaged file (or a harmless change, e.g. in pixel values or the gzip
    # header's time stamp) reads back with the declared shape.
    assert out.size > 0


def test_zlib_errors_are_not_leaked_by_a_corrupt_deflate_block(tmp_path):
    raw = zlib.compress(idx_bytes(IMAGES))  # zlib, not gzip, framing behind a gzip magic
    with pytest.raises(DataError):
        read_idx(write(tmp_path, b"\x1f\x8b" + raw[2:]))
