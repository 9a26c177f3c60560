"""A sweep's results file: rows edited by hand are kept, long rows read, appends never race.

The promise, as SQLite and the standard library make it for their own files: a row
is in the file whole or not at all, a row that cannot be read is reported and left
where it is (its trial runs again), several sweeps may append to one file at once,
and a write that fails (a full disk, a folder we may not write) ends in one error
and leaves no half row.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.cli import main
from core.sweep import Axis, Sweep, SweepSpec
from core.sweep.results import COLUMNS, ResultsFile, TrialResult, read_results
from core.training.config import Config
from tests.reliability.conftest import ROOT, error_lines, run_python

SPEC = SweepSpec(
    Config(dataset="digits", hidden=(4,), epochs=1, batch_size=64),
    axes=(Axis.parse("learning_rate", "0.1,0.2,0.3"),),
)


SETTING = {"learning_rate": 0.1, "hidden": 4, "depth": 1, "batch_size": 64, "optimizer": "sgd",
           "dropout": 0.0}  # fmt: skip


def result(key: str, epochs: int = 1) -> TrialResult:
    """A finished trial with ``epochs`` epoch records of history."""
    history = [{"epoch": e, "val_acc": 0.5, "val_loss": 1.0} for e in range(epochs)]
    return TrialResult(key, SETTING, 0, {"dataset": "digits"}, "completed", 0.5, 0.5, 1.0, 0.5,
                       1.0, epochs, 0.1, history=history)  # fmt: skip


@pytest.fixture
def finished(tmp_path) -> Path:
    """The CSV of SPEC, all three trials done."""
    path = tmp_path / "sweep.csv"
    assert len(list(Sweep(SPEC, path).run(jobs=1))) == 3
    return path


def _edit(path: Path) -> list[str]:
    """Edit rows 1 and 3 by hand (a word for a number, a list for the config)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[1].split(",")
    first[10] = "about half"  # val_acc
    lines[1] = ",".join(first)
    lines[3] = lines[3].replace('"{""activation""', '"[""activation""', 1)
    path.write_text("".join(lines), encoding="utf-8")
    return lines


def test_rows_edited_by_hand_are_reported_kept_and_their_trials_run_again(finished):
    edited = _edit(finished)
    sweep = Sweep(SPEC, finished)
    assert [line for line, _ in sweep.unreadable] == [2, 4]
    assert len(sweep.todo) == 2
    assert len(list(sweep.run(jobs=1))) == 2
    after = finished.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[: len(edited)] == edited  # every line as the person left it
    assert len(read_results(finished)) == 3  # one original and two new


def test_the_command_line_warns_about_rows_it_cannot_read(finished, capsys):
    _edit(finished)
    argv = ["sweep", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--batch", "64",
            "--lr", "0.1,0.2,0.3", "--jobs", "1", "--no-plot", "--out", str(finished)]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "2 row(s) could not be read and are left as they are (line 2: " in err, err


def test_a_history_longer_than_the_csv_field_limit_reads_back(tmp_path):
    path = tmp_path / "long.csv"
    ResultsFile(path).prepare()
    ResultsFile(path).append(result("long", epochs=5000))  # a history field of ~200 KB
    (read,) = read_results(path)
    assert len(read.history) == 5000


def test_a_row_cut_short_is_kept_and_the_file_is_appended_to_never_replaced(tmp_path):
    path = tmp_path / "sweep.csv"
    results = ResultsFile(path)
    results.prepare()
    results.append(result("first"))
    whole = path.read_bytes()
    path.write_bytes(whole + whole.splitlines(keepends=True)[1][:40])  # killed mid-row
    inode = path.stat().st_ino
    results.prepare()
    results.append(result("second"))
    assert path.stat().st_ino == inode
    assert path.read_bytes().startswith(whole + whole.splitlines(keepends=True)[1][:40] + b"\n")
    assert [r.key for r in read_results(path)] == ["first", "second"]


def test_a_row_cut_inside_its_json_never_swallows_the_next_and_nothing_runs_twice(finished):
    lines = finished.read_bytes().splitlines(keepends=True)
    last = lines[-1]
    cut = last[: last.index(b'"[{') + 40]  # in the middle of the history's JSON, no newline
    damaged = b"".join(lines[:-1]) + cut
    finished.write_bytes(damaged)
    for resume in range(2):
        sweep = Sweep(SPEC, finished)
        assert sweep.unreadable == [(4, "cut short inside a quoted field")]
        ran = list(sweep.run(jobs=1))
        assert len(ran) == (1 if resume == 0 else 0)  # the lost trial, once
    after = finished.read_bytes()
    assert after.startswith(damaged + b"\n")  # the damaged row kept as it was, on its own line
    keys = [r.key for r in read_results(finished)]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 3


def test_unreadable_rows_say_what_is_wrong_in_words(finished):
    lines = finished.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = ",".join(lines[1].split(",")[:12]) + "\r\n"  # columns lost
    cells = lines[2].split(",")
    cells[10] = "about half"  # val_acc
    lines[2] = ",".join(cells)
    finished.write_text("".join(lines), encoding="utf-8")
    results = ResultsFile(finished)
    results.read()
    assert results.unreadable == [
        (2, "has 12 of 20 columns"),
        (3, "val_acc is 'about half', not a number"),
    ]


def test_a_row_whose_message_goes_over_several_lines_reads_whole(tmp_path):
    path = tmp_path / "sweep.csv"
    ResultsFile(path).prepare()
    message = "not available. Looked in:\n- here: none\nUse digits"
    row = result("old").to_row() | {"message": message}
    with open(path, "a", newline="", encoding="utf-8") as f:  # as rows were once written
        csv.writer(f).writerow([row[c] for c in COLUMNS])
    ResultsFile(path).append(result("new"))
    results = ResultsFile(path)
    assert [(r.key, r.message) for r in results.read()] == [("old", row["message"]), ("new", "")]
    assert results.unreadable == []


_APPENDER = """
import sys
from core.sweep.results import ResultsFile, TrialResult
from tests.reliability.test_sweep_files import result
print("ready", flush=True)
sys.stdin.readline()
results = ResultsFile(sys.argv[1])
results.prepare()
for i in range(int(sys.argv[3])):
    results.append(result(f"{sys.argv[2]}-{i}", epochs=400))
"""


def test_two_sweeps_appending_to_one_file_at_once_keep_every_row_whole(tmp_path):
    path = tmp_path / "shared.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), name, "40"], cwd=tmp_path,
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]  # fmt: skip
    try:
        for child in children:  # both started, both at the starting line
            assert child.stdout.readline() == "ready\n"
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            assert child.wait(timeout=120) == 0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    results = ResultsFile(path)
    keys = sorted(r.key for r in results.read())
    assert keys == sorted(f"{n}-{i}" for n in "ab" for i in range(40))
    assert results.unreadable == []
    assert path.read_text(encoding="utf-8").count("key,dataset,") == 1


_LIMITED = """
import json, os, resource, signal, sys
from core.errors import DataError
from core.sweep.results import ResultsFile
from tests.reliability.test_sweep_files import result
path = sys.argv[1]
results = ResultsFile(path)
results.prepare()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not a kill
limit = os.path.getsize(path) + 300
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    results.append(result("big", epochs=50))
    print(json.dumps(["appended", ""]))
except DataError as e:
    print(json.dumps(["DataError", str(e)]))
except BaseException as e:
    print(json.dumps([type(e).__name__, str(e)]))
"""


def test_a_full_disk_is_one_error_and_leaves_no_half_row(tmp_path):
    path = tmp_path / "sweep.csv"
    proc = run_python(_LIMITED, str(path), cwd=tmp_path)
    kind, message = json.loads(proc.stdout.strip().splitlines()[-1])
    assert kind == "DataError" and str(path) in message and "File too large" in message
    assert path.read_text(encoding="utf-8").count("\n") == 1  # the header, and no half row


def test_the_command_line_reports_a_full_disk_in_one_line(tmp_path):
    code = textwrap.dedent(
        """
        import resource, signal, sys
        import main
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400, 400))
        sys.exit(main.main(sys.argv[1:]))
        """
    )
    out = tmp_path / "sweep.csv"
    proc = run_python(code, "sweep", "--dataset", "digits", "--hidden", "4", "--epochs", "1",
                      "--lr", "0.1,0.2", "--jobs", "1", "--no-plot", "--out", str(out),
                      cwd=tmp_path)  # fmt: skip
    (line,) = error_lines(proc.stderr)
    assert proc.returncode == 1 and "cannot append" in line, proc.stderr
    assert out.read_text(encoding="utf-8").count("\n") == 1  # the header, and no half row
