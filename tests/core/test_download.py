"""Downloads against a real HTTP server on 127.0.0.1: verified, cached, never half-written."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
from data_fakes import (
    LoopbackServer,
    closed_port_url,
    fake_mnist,
    idx_files,
    isolate_data,
    sha256,
)

from core.data import load_dataset, tqdm_progress
from core.data.catalog import SOURCES
from core.data.download import fetch
from core.errors import DataError, DatasetUnavailable

OFFICIAL = SOURCES["mnist"].pins


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No data folder, an empty private cache, and loopback traffic kept off any proxy."""
    isolate_data(monkeypatch, tmp_path / "cache")
    return tmp_path / "cache" / "mnist"


@pytest.fixture
def fake():
    """Small synthetic MNIST-format files, and pins that accept exactly them."""
    files = idx_files(fake_mnist(seed=9))
    return files, {name: sha256(data) for name, data in files.items()}


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_real_mnist_download_is_verified_cached_and_reused(env, mnist_dir):
    files = {name: (mnist_dir / name).read_bytes() for name in OFFICIAL}
    # The shared train-images archive was recompressed, so only its pin is replaced;
    # the other three are checked against the official hashes.
    pins = {"train-images-idx3-ubyte.gz": sha256(files["train-images-idx3-ubyte.gz"])}
    assert pins["train-images-idx3-ubyte.gz"] != OFFICIAL["train-images-idx3-ubyte.gz"]
    seen: dict[str, list[tuple[int, int]]] = {}

    def progress(name, done, total):
        seen.setdefault(name, []).append((done, total))

    with LoopbackServer(files) as server:
        d = load_dataset("mnist", mirror=server.url, pins=pins, progress=progress)
        assert server.total_requests == 4
        assert len(d.y_train) + len(d.y_val) == 60_000 and len(d.y_test) == 10_000
        assert f"downloaded from {server.url}" in d.source
        assert leftovers(env) == sorted(files)
        for name, data in files.items():
            assert sha256((env / name).read_bytes()) == sha256(data)
            dones = [done for done, _ in seen[name]]
            assert dones == sorted(dones) and dones[-1] == len(data)
            assert {total for _, total in seen[name]} == {len(data)}

        again = load_dataset("mnist", mirror=server.url, pins=pins, progress=progress)
        assert server.total_requests == 4  # nothing fetched the second time
        assert again.source.endswith("(cache)")
        np.testing.assert_array_equal(again.y_test, d.y_test)


def test_a_file_with_the_wrong_hash_is_refused_and_not_kept(env, fake):
    files, _ = fake
    with LoopbackServer(files) as server, pytest.raises(DataError) as info:
        load_dataset("mnist", mirror=server.url)  # official pins: these files are not MNIST
    message = str(info.value)
    assert "SHA-256 of the downloaded train-images-idx3-ubyte.gz is" in message
    assert OFFICIAL["train-images-idx3-ubyte.gz"] in message and "discarded" in message
    assert leftovers(env) == []


def test_a_server_that_is_down_gives_dataset_unavailable(env):
    url = closed_port_url()
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("mnist", mirror=url)
    message = str(info.value)
    assert f"download {url}train-images-idx3-ubyte.gz: connection refused" in message
    assert "BACKPROP_DATA: not set" in message and str(env) in message
    assert "--dataset digits" in message
    assert leftovers(env) == []


def test_a_connection_closed_halfway_leaves_nothing_behind(env, fake):
    files, pins = fake
    with LoopbackServer(files) as server:
        server.cut.add("t10k-images-idx3-ubyte.gz")
        with pytest.raises(DatasetUnavailable) as info:
            load_dataset("mnist", mirror=server.url, pins=pins)
        assert server.requests["t10k-images-idx3-ubyte.gz"] == 1
    message = str(info.value)
    assert "t10k-images-idx3-ubyte.gz: the connection closed before the whole file arrived" in (
        message
    )
    # Files that arrived whole before the cut are kept (verified); no partial file is.
    assert "t10k-images-idx3-ubyte.gz" not in leftovers(env)
    assert not [n for n in leftovers(env) if n.startswith(".") or n.endswith(".part")]
    assert all(sha256((env / n).read_bytes()) == pins[n] for n in leftovers(env))


def test_only_missing_or_damaged_cache_files_are_fetched(env, fake):
    files, pins = fake
    with LoopbackServer(files) as server:
        load_dataset("mnist", mirror=server.url, pins=pins)
        assert server.total_requests == 4
        (env / "train-labels-idx1-ubyte.gz").write_bytes(b"damaged")
        (env / "t10k-labels-idx1-ubyte.gz").unlink()
        d = load_dataset("mnist", mirror=server.url, pins=pins)
        assert server.requests["train-labels-idx1-ubyte.gz"] == 2
        assert server.requests["t10k-labels-idx1-ubyte.gz"] == 2
        assert server.total_requests == 6
    assert d.n_classes == 10 and leftovers(env) == sorted(files)


def test_backprop_mirror_with_a_dataset_placeholder(env, fake, monkeypatch):
    files, pins = fake
    with LoopbackServer({f"mnist/{n}": data for n, data in files.items()}) as server:
        monkeypatch.setenv("BACKPROP_MIRROR", server.url + "{dataset}/")
        d = load_dataset("mnist", pins=pins)
        assert server.requests["mnist/train-images-idx3-ubyte.gz"] == 1
    assert len(d.y_test) == 40


def test_downloads_turned_off_make_no_request(env, fake):
    files, pins = fake
    with LoopbackServer(files) as server:
        with pytest.raises(DatasetUnavailable, match="download: turned off"):
            load_dataset("mnist", mirror=server.url, pins=pins, download=False)
        assert server.total_requests == 0


def test_a_missing_file_on_the_server(env, fake):
    files, pins = fake
    del files["t10k-labels-idx1-ubyte.gz"]
    with LoopbackServer(files) as server, pytest.raises(DatasetUnavailable, match="HTTP 404"):
        load_dataset("mnist", mirror=server.url, pins=pins)


def test_the_next_mirror_is_tried_after_a_bad_one(tmp_path):
    good = b"the right bytes"
    with LoopbackServer({"f.bin": b"wrong bytes"}) as bad, LoopbackServer({"f.bin": good}) as ok:
        path, failures = fetch(
            "f.bin", sha256(good), [closed_port_url() + "f.bin", bad.url + "f.bin",
                                    ok.url + "f.bin"], tmp_path,
        )  # fmt: skip
    assert path == tmp_path / "f.bin" and path.read_bytes() == good
    assert [type(e).__name__ for _, e in failures] == ["DataError", "ChecksumMismatch"]
    assert leftovers(tmp_path) == ["f.bin"]


def test_tqdm_progress_draws_one_bar_per_file(env, fake):
    files, pins = fake
    out = io.StringIO()
    with LoopbackServer(files) as server:
        load_dataset("mnist", mirror=server.url, pins=pins, progress=tqdm_progress(out))
    text = out.getvalue()
    for name in files:
        assert name in text
    assert text.count("100%") >= len(files)


def test_pins_for_files_the_dataset_does_not_have_are_refused(env):
    with pytest.raises(DataError, match=r"pins: train-images\.gz is not one of the files"):
        load_dataset("mnist", pins={"train-images.gz": "0" * 64}, download=False)


def test_progress_when_the_server_does_not_give_the_size(env, fake):
    files, pins = fake
    seen: dict[str, list[tuple[int, int]]] = {}

    def progress(name, done, total):
        seen.setdefault(name, []).append((done, total))

    with LoopbackServer(files) as server:
        server.unsized.update(files)
        load_dataset("mnist", mirror=server.url, pins=pins, progress=progress)
    for name, data in files.items():
        assert {total for _, total in seen[name]} == {0}
        assert seen[name][-1][0] == len(data)


def test_leftovers_of_a_killed_download_are_cleared(env, fake):
    files, pins = fake
    env.mkdir(parents=True)
    old_tmp, old_part, fresh = env / "tmpab12cd", env / ".t10k-images.1234.part", env / "tmpnew"
    for path in (old_tmp, old_part, fresh):
        path.write_bytes(b"half a file")
    for path in (old_tmp, old_part):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    with LoopbackServer(files) as server:
        load_dataset("mnist", mirror=server.url, pins=pins)
    assert leftovers(env) == sorted([*files, "tmpnew"])  # a recent one may be in use
