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

import numpy as np

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


# The child sends itself SIGINT once the batch (epoch, batch) of argv[1:3] is trained: a real
# signal at a known place inside an epoch, where a signal from outside lands anywhere.
_CTRL_C_AT = """
import os, signal, sys
from core.training.events import BatchProgress
from core.training.trainer import Trainer
epoch, batch = int(sys.argv[1]), int(sys.argv[2])
real_run = Trainer.run

def run(self):
    for ev in real_run(self):
        yield ev
        if isinstance(ev, BatchProgress) and (ev.epoch, ev.batch) == (epoch, batch):
            os.kill(os.getpid(), signal.SIGINT)

Trainer.run = run
import main
sys.exit(main.main(sys.argv[3:]))
"""

#: Adam with dropout: optimiser state, a step count and a generator all have to come back.
RUN = [*DIGITS, "--optimizer", "adam", "--lr", "0.01", "--dropout", "0.1", "--epochs", "4"]


def _ctrl_c_at(epoch: int, batch: int, argv: list[str], cwd: Path) -> tuple[int, str]:
    with child(["-c", _CTRL_C_AT, str(epoch), str(batch), *argv], cwd) as proc:
        _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return proc.returncode, err


def _figures(history: list[dict]) -> list[tuple]:
    """What an epoch computed (its times aside)."""
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "learning_rate", "step")
    return [tuple(row[k] for k in keys) for row in history]


def test_ctrl_c_inside_an_epoch_keeps_the_last_epoch_end_and_resume_repeats_the_run(
    tmp_path, capsys
):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["train", *RUN, "-o", str(whole)]) == 0
    uninterrupted = checkpoint.load(whole / "model.npz")
    code, err = _ctrl_c_at(2, 5, ["train", *RUN, "-o", str(cut)], tmp_path)
    assert code == 130, err
    assert err.rstrip().endswith(
        f"Stopped by Ctrl-C after 2 epochs; the 6 batches of the unfinished epoch are not "
        f"kept; resume with --resume {cut / 'model.npz'}"
    ), err
    stopped = checkpoint.load(cut / "model.npz")
    assert stopped.epoch == 2 and stopped.step == uninterrupted.history[1]["step"]
    assert _figures(stopped.history) == _figures(uninterrupted.history[:2])
    capsys.readouterr()
    assert main(["train", "--resume", str(cut / "model.npz"), "--epochs", "4", "-o", str(cut)]) == 0
    assert "Resuming at epoch 2" in capsys.readouterr().out
    resumed = checkpoint.load(cut / "model.npz")
    assert _figures(resumed.history) == _figures(uninterrupted.history)
    for a, b in zip(resumed.model.params, uninterrupted.model.params, strict=True):
        assert np.array_equal(a, b)
    for slot, arrays in uninterrupted.optimizer.state.items():
        for a, b in zip(resumed.optimizer.state[slot], arrays, strict=True):
            assert np.array_equal(a, b)
    assert resumed.optimizer.t == uninterrupted.optimizer.t


def test_ctrl_c_before_the_first_epoch_ends_keeps_nothing_and_says_so(tmp_path):
    out = tmp_path / "run"
    code, err = _ctrl_c_at(0, 3, ["train", *RUN, "--no-timeline", "-o", str(out)], tmp_path)
    assert code == 130, err
    assert err.rstrip().endswith(
        "Stopped by Ctrl-C before the first epoch ended: its 4 batches are not kept and "
        "there is nothing to resume"
    ), err
    assert not (out / "model.npz").exists() and not (out / "history.csv").exists()


def test_ctrl_c_in_the_first_epoch_of_a_resumed_run_keeps_the_checkpoint_it_resumed(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["train", *RUN, "--epochs", "1", "-o", str(first)]) == 0
    start = checkpoint.load(first / "model.npz")
    argv = ["train", "--resume", str(first / "model.npz"), "--epochs", "4", "-o", str(second)]
    code, err = _ctrl_c_at(1, 2, argv, tmp_path)
    assert code == 130 and "Stopped by Ctrl-C after 1 epoch; the 3 batches" in err, err
    kept = checkpoint.load(second / "model.npz")
    assert kept.step == start.step and _figures(kept.history) == _figures(start.history)
    for a, b in zip(kept.model.params, start.model.params, strict=True):
        assert np.array_equal(a, b)
