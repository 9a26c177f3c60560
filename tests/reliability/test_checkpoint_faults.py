"""Checkpoints survive what the machine does to them: kills, full disks, read-only folders.

The promise: a save either replaces the checkpoint with a whole new one or leaves
the old one exactly as it was, with a CheckpointError that says why, and no
temporary file behind it.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from pathlib import Path

import pytest

from core.errors import CheckpointError
from core.training import checkpoint
from tests.reliability import _children

KILLS = 50


@pytest.fixture(scope="module")
def forks():
    """Processes forked from a server that has already imported core (cheap to start)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.reliability._children"])
    return ctx


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_fifty_kills_at_random_moments_of_a_save_always_leave_a_whole_checkpoint(forks, tmp_path):
    path = tmp_path / "model.npz"
    checkpoint.save(path, **_children.parts(256, 0))
    rng = random.Random(9)
    last, mid_save = 0, 0
    t0 = time.monotonic()
    for k in range(1, KILLS + 1):
        started = forks.Event()
        child = forks.Process(target=_children.save_forever, args=(str(path), k * 100_000, started))
        child.start()
        assert started.wait(30), "the saving child did not start"
        time.sleep(rng.uniform(0.0, 0.06))
        child.kill()  # SIGKILL: no handler, no cleanup, no flush
        child.join(10)
        assert child.exitcode == -9
        mid_save += bool(temporaries(tmp_path))  # killed while writing a temporary file
        ck = checkpoint.load(path)  # never raises: the file is always a whole checkpoint
        marker = _children.marker_of(ck)  # and never a mix of two saves
        assert marker >= last, "the checkpoint went back in time"
        last = marker
    seconds = time.monotonic() - t0
    # Most kills must land inside a save, or this test would prove nothing.
    assert mid_save >= KILLS // 4, f"only {mid_save} of {KILLS} kills landed mid-save"
    # The next save clears what the killed writers left.
    checkpoint.save(path, **_children.parts(16, 1))
    assert temporaries(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["model.npz"]
    print(f"{KILLS} kills in {seconds:.1f} s, {mid_save} of them mid-save")


def _try_save(forks, path: Path, *, limit: int | None = None, uid: int | None = None):
    answer = forks.Queue()
    child = forks.Process(target=_children.save_limited, args=(str(path), 7, limit, uid, answer))
    child.start()
    kind, message = answer.get(timeout=60)
    child.join(10)
    assert child.exitcode == 0, "the child died instead of reporting"
    return kind, message


def test_a_full_disk_fails_with_a_clear_message_and_keeps_the_old_checkpoint(forks, tmp_path):
    path = tmp_path / "model.npz"
    checkpoint.save(path, **_children.parts(16, 3))  # ~0.1 MB: the good old checkpoint
    before = path.read_bytes()
    # The new one (~2.4 MB) does not fit under a 1 MB limit on any file the child writes.
    kind, message = _try_save(forks, path, limit=1 << 20)
    assert kind == "CheckpointError", message
    assert str(path) in message and "cannot write the checkpoint" in message
    assert "File too large" in message
    assert path.read_bytes() == before and _children.marker_of(checkpoint.load(path)) == 3
    assert temporaries(tmp_path) == []


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write: as root, seen by an unprivileged child; else chmod 0o555.

    Root ignores permission bits, so for root the save runs as ``nobody`` in a child
    that has moved into the folder before giving up its privileges.
    """
    folder = tmp_path / "read only"
    folder.mkdir()
    checkpoint.save(folder / "model.npz", **_children.parts(16, 5))
    (folder / "model.npz").chmod(0o644)
    folder.chmod(0o555)
    try:
        yield folder, (65534 if os.geteuid() == 0 else None)
    finally:
        folder.chmod(0o755)


def test_a_read_only_folder_fails_with_a_clear_message_and_keeps_the_old_checkpoint(
    forks, read_only_folder
):
    folder, uid = read_only_folder
    path = folder / "model.npz"
    before = path.read_bytes()
    kind, message = _try_save(forks, path, uid=uid)
    assert kind == "CheckpointError", message
    assert path.name in message and "Permission denied" in message
    assert path.read_bytes() == before and _children.marker_of(checkpoint.load(path)) == 5
    assert sorted(os.listdir(folder)) == ["model.npz"]


def test_a_folder_that_is_a_file_fails_with_a_clear_message(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    with pytest.raises(CheckpointError, match="cannot write the checkpoint"):
        checkpoint.save(blocker / "model.npz", **_children.parts(16, 1))
    assert blocker.read_text() == "not a folder" and sorted(os.listdir(tmp_path)) == ["notes.txt"]
