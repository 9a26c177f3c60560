"""Where the window's runs record their timelines, and which run folders a clean-up keeps.

No Qt: plain folders in the test's temporary folder, locks taken the way a window (a
shared lock on ``.open``) and a recording run (``timeline/.lock``) take them.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from gui.run_folders import KEPT_FILE, MARKER, RUNS_ENV, RunFolders, default_root, runs_root


def made(folders: RunFolders, n: int) -> list[Path]:
    """``n`` run folders, oldest first, let go (as a window does when its run is over)."""
    paths = []
    for _ in range(n):
        folder = folders.new()
        folder.close()
        paths.append(folder.path)
    return paths


def test_the_variable_wins_then_the_setting_then_the_user_s_data_folder(tmp_path, monkeypatch):
    assert runs_root("/elsewhere") == tmp_path / "runs"  # the suite's BACKPROP_RUNS
    monkeypatch.delenv(RUNS_ENV)
    assert runs_root(str(tmp_path / "chosen")) == tmp_path / "chosen"
    assert runs_root("~/r") == Path.home() / "r"
    assert runs_root(None) == default_root()
    assert default_root().parts[-2:] == ("backprop-studio", "runs")


def test_each_run_gets_a_new_marked_folder_held_open(tmp_path):
    folders = RunFolders(tmp_path / "runs")
    a, b = folders.new(), folders.new()
    assert a.path != b.path and a.path.parent == b.path.parent == tmp_path / "runs"
    assert (a.path / MARKER).is_file() and a.open
    a.close()
    b.close()
    assert not a.open


def test_the_most_recent_are_kept_and_older_ones_go_oldest_first(tmp_path):
    folders = RunFolders(tmp_path, keep=3)
    paths = made(folders, 5)
    assert sorted(tmp_path.iterdir()) == paths[2:]
    assert folders.folders() == paths[2:][::-1]  # newest first


def test_the_budget_counts_the_disk_the_folders_take(tmp_path):
    folders = RunFolders(tmp_path, keep=100, budget=10**9)
    paths = made(folders, 3)
    for p in paths:
        (p / "state.npz").write_bytes(b"x" * 1000)
    folders.budget = 2500
    assert folders.clean_up() == [paths[0]]
    assert sorted(tmp_path.iterdir()) == paths[1:]


def test_open_recording_kept_and_foreign_folders_are_never_deleted(tmp_path):
    folders = RunFolders(tmp_path, keep=100)
    shown, recording, kept, old = made(folders, 4)
    window = folders.new()  # held by this process
    window.close()
    shown_again = type(window)(shown)  # another window looks at it
    shown_again.hold()
    (recording / "timeline").mkdir()
    fd = os.open(recording / "timeline" / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run still records into it
    type(window)(kept).keep(tmp_path / "elsewhere" / "run.npz")
    foreign = tmp_path / "my-notes"
    foreign.mkdir()
    lookalike = tmp_path / "20000101-000000-1"  # named like ours, not made by us
    lookalike.mkdir()
    try:
        folders.keep = 0
        deleted = folders.clean_up()
    finally:
        os.close(fd)
        shown_again.close()
    assert set(deleted) == {old, window.path}
    assert {p.name for p in tmp_path.iterdir()} == {
        shown.name,
        recording.name,
        kept.name,
        foreign.name,
        lookalike.name,
    }
    saved = json.loads((kept / KEPT_FILE).read_text())["checkpoints"]
    assert saved == [str(tmp_path / "elsewhere" / "run.npz")]


def test_a_root_that_cannot_be_written_raises_for_the_caller_to_say_so(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    try:
        RunFolders(blocker / "runs").new()
    except OSError:
        pass
    else:
        raise AssertionError("a run folder under a file was made")
