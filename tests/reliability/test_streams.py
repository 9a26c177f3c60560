"""Standard output and error that close, fill up or lose their reader never cost a run.

``| head -1`` is run for real: a child's stdout is a pipe the test closes after the
first line. Full and closed streams are stand-ins (a full disk is ENOSPC from
``write``, a closed file is ValueError), so no device of the machine is used. In
every case the run finishes, its checkpoint and history are whole, and the exit
code is the run's own.
"""

from __future__ import annotations

import contextlib
import errno
import io
import subprocess
import sys

import numpy as np
import pytest

from core import NeuralNetwork
from core.cli import main
from core.sweep.results import read_results
from core.training import checkpoint
from tests.reliability.conftest import ROOT

DIGITS = ["--dataset", "digits", "--hidden", "8", "--batch-size", "64", "--no-pictures"]


class FullStream(io.StringIO):
    """Takes ``room`` characters, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)


class ClosedStream(io.StringIO):
    """A stream whose file was closed under the program."""

    def write(self, text: str) -> int:
        raise ValueError("I/O operation on closed file.")

    def flush(self) -> None:
        raise ValueError("I/O operation on closed file.")


class BrokenPipe(io.StringIO):
    """A pipe whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def test_head_closing_the_pipe_does_not_end_the_run(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "train", *DIGITS, "--epochs", "30",
         "-o", str(tmp_path / "run")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().startswith("Training:")
        proc.stdout.close()  # what `head -1` does after its line
        err = proc.stderr.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert checkpoint.load(tmp_path / "run" / "model.npz").epoch == 30
    assert len((tmp_path / "run" / "history.csv").read_text().splitlines()) == 31


@pytest.mark.parametrize(
    ("stdout", "stderr"),
    [
        (FullStream(200), io.StringIO()),
        (ClosedStream(), io.StringIO()),
        (FullStream(0), FullStream(0)),
    ],
    ids=["stdout full", "stdout closed", "both full"],
)
def test_a_failing_stream_does_not_end_a_training_run(tmp_path, stdout, stderr):
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["train", *DIGITS, "--epochs", "3", "-o", str(tmp_path / "run")])
    assert code == 0
    assert checkpoint.load(tmp_path / "run" / "model.npz").epoch == 3
    if isinstance(stdout, FullStream) and not isinstance(stderr, FullStream):
        assert "warning: standard output: No space left on device" in stderr.getvalue()


def test_a_broken_stderr_does_not_hide_a_diverged_run_or_its_checkpoint(tmp_path):
    path = tmp_path / "run" / "model.npz"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["train", *DIGITS, "--epochs", "1", "-o", str(tmp_path / "run")]) == 0
    argv = ["train", "--resume", str(path), "--lr", "100", "--epochs", "3", "-o", str(path.parent)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(BrokenPipe()):
        assert main(argv) == 1  # the run's own exit code: it diverged
    ck = checkpoint.load(path)  # the epoch end before it diverged
    assert ck.epoch == 1 and all(np.isfinite(p).all() for p in ck.model.params)


def test_a_failing_stream_does_not_end_a_sweep(tmp_path):
    out = tmp_path / "sweep.csv"
    argv = ["sweep", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--jobs", "1",
            "--lr", "0.1,0.2", "--no-plot", "--out", str(out)]  # fmt: skip
    with contextlib.redirect_stdout(BrokenPipe()), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0
    assert len(read_results(out)) == 2


def test_the_library_trains_on_when_its_output_pipe_breaks(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.random((64, 4)), rng.integers(0, 2, 64)
    nn = NeuralNetwork(input_size=4, hidden_size=8, output_size=2)
    monkeypatch.setattr(sys, "stdout", BrokenPipe())
    history = nn.train(X, y, X, y, epochs=3, batch_size=16)
    assert len(history["val_acc"]) == 3
