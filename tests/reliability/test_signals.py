"""SIGTERM stops like Ctrl-C; a second Ctrl-C during the final save leaves the old checkpoint.

Each test runs the command line in a child and waits for a line it prints (the
first epoch, the first trial, the save starting) before signalling it: handshakes,
not sleeps. The exit codes are the shells' 128 + signal: 130 for SIGINT, 143 for
SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.cli import main
from core.sweep.results import ResultsFile
from core.training import checkpoint
from tests.reliability.conftest import ROOT

DIGITS = ["--dataset", "digits", "--hidden", "16", "--batch-size", "8", "--no-pictures"]


@contextmanager
def child(args: list[str], cwd: Path) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def wait_for(proc: subprocess.Popen, start: str) -> None:
    for line in proc.stdout:
        if line.startswith(start):
            return
    raise AssertionError(f"the child ended before printing {start!r}: {proc.stderr.read()}")


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_sigterm_stops_training_after_the_batch_saves_and_exits_143(tmp_path):
    out = tmp_path / "run"
    with child([str(ROOT / "main.py"), "train", *DIGITS, "--epochs", "100000", "-o", str(out)],
               tmp_path) as proc:  # fmt: skip
        wait_for(proc, "Epoch")
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Stopped by SIGTERM" in err and "Traceback" not in err
    assert "=== FINAL RESULTS ===" in rest
    assert 1 <= checkpoint.load(out / "model.npz").epoch < 100000
    assert temporaries(out) == []


# The final save blocks (as a slow disk would) once it has started writing its temporary
# file, and says so; SAVE_EVERY_S keeps the safety saves out of the way.
_SLOW_FINAL_SAVE = """
import sys
import numpy as np
import core.cli.train
core.cli.train.SAVE_EVERY_S = float("inf")
real_savez = np.savez

def slow_savez(file, *args, **kwargs):
    file.write(b"half a checkpoint")
    print("saving", flush=True)
    sys.stdin.readline()
    return real_savez(file, *args, **kwargs)

np.savez = slow_savez
import main
sys.exit(main.main(sys.argv[1:]))
"""


def test_a_second_ctrl_c_during_the_final_save_keeps_the_previous_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *DIGITS, "--epochs", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    previous = (out / "model.npz").read_bytes()
    # No timeline: its states are .npz files too, and only the checkpoint's save may stall.
    argv = ["train", "--resume", str(out / "model.npz"), "--epochs", "100000", "--no-pictures",
            "--no-timeline", "-o", str(out)]  # fmt: skip
    with child(["-c", _SLOW_FINAL_SAVE, *argv], tmp_path) as proc:
        wait_for(proc, "Epoch")
        proc.send_signal(signal.SIGINT)  # first: stop after this batch, then save
        wait_for(proc, "saving")
        proc.send_signal(signal.SIGINT)  # second, in the middle of the save: abort
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.rstrip().endswith("interrupted"), err
    assert (out / "model.npz").read_bytes() == previous
    assert temporaries(out) == []


def test_sigterm_stops_a_sweep_with_every_finished_trial_whole(tmp_path):
    out = tmp_path / "sweep.csv"
    lrs = ",".join(f"0.{i:02d}" for i in range(1, 13))
    argv = ["sweep", "--dataset", "digits", "--hidden", "8", "--epochs", "20", "--jobs", "1",
            "--lr", lrs, "--no-plot", "--out", str(out)]  # fmt: skip
    with child([str(ROOT / "main.py"), *argv], tmp_path) as proc:
        wait_for(proc, "[ 1/12]")
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "Interrupted:" in rest
    results = ResultsFile(out)
    assert 1 <= len(results.read()) < 12
    assert results.unreadable == []
