"""The command line through core.cli.main: lines, report, files, errors, resume, Ctrl-C."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.training import checkpoint

ROOT = Path(__file__).resolve().parents[2]
SEED_LINE = re.compile(
    r"^Epoch (?P<epoch>[ \d]{3}): Train Loss: (?P<tl>\d+\.\d{4}), Train Acc: (?P<ta>\d\.\d{4}), "
    r"Val Loss: (?P<vl>\d+\.\d{4}), Val Acc: (?P<va>\d\.\d{4})$"
)
DIGITS = ["--dataset", "digits", "--hidden", "32", "--batch-size", "32", "--lr", "0.1"]


def run(argv, capsys, pictures=None):
    code = main(argv, pictures=pictures)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 3-epoch headless run on the digits, with pictures that record their call.

    Module-scoped (capsys is not), so its output is captured by redirection.
    """
    folder = tmp_path_factory.mktemp("run")
    calls = []

    class Pictures:
        def run_pictures(self, where, **run_data):
            calls.append((where, run_data))
            p = Path(where) / "pictures.txt"
            p.write_text("drawn")
            return [p]

        def sweep_picture(self, path, figure):
            raise AssertionError("a training run draws no sweep")

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            ["--headless", *DIGITS, "--epochs", "3", "-o", str(folder)], pictures=Pictures()
        )
    return code, out.getvalue(), err.getvalue(), folder, calls


def test_train_prints_the_seed_lines_and_the_final_report(trained, digits):
    code, out, err, folder, _ = trained
    assert code == 0, err
    lines = out.splitlines()
    epochs = [SEED_LINE.match(line) for line in lines if line.startswith("Epoch")]
    assert all(epochs) and [m["epoch"] for m in epochs] == ["  0", "  1", "  2"]
    with open(folder / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and rows[0]["architecture"] == "64-32-10"
    for m, row in zip(epochs, rows, strict=True):
        for key, col in (
            ("tl", "train_loss"),
            ("ta", "train_acc"),
            ("vl", "val_loss"),
            ("va", "val_acc"),
        ):
            assert m[key] == f"{float(row[col]):.4f}"

    ck = checkpoint.load(folder / "model.npz")
    loss, acc = ck.model.evaluate(digits.X_test, digits.y_test)
    start = lines.index("=== FINAL RESULTS ===")
    assert lines[start + 1] == f"Test Accuracy: {acc:.4f} ({acc * 100:.2f}%)"
    assert lines[start + 2] == f"Test Loss: {loss:.4f}"
    assert lines[start + 3] == "Per-class accuracy:"
    assert all(
        re.match(r"^  \d: \d\.\d{4}  \(\d+ images\)$", line)
        for line in lines[start + 4 : start + 14]
    )
    assert lines[start + 14] == "Most confused (true -> predicted):"
    assert re.search(r"^Training time: [\d.]+ s for 3 epoch\(s\) \([\d,]+ samples/s\)$", out, re.M)
    assert ck.epoch == 3 and len(ck.history) == 3


def test_the_pictures_get_the_history_and_test_predictions(trained, digits):
    code, out, _, folder, calls = trained
    assert code == 0 and len(calls) == 1
    where, data = calls[0]
    assert Path(where) == folder and f"Picture: {folder / 'pictures.txt'}" in out
    assert len(data["history"]) == 3 and data["class_names"] == digits.class_names
    images = data["images"]
    assert images.shape == (32, 8, 8)
    model = checkpoint.load(folder / "model.npz").model
    assert np.array_equal(data["predictions"], model.predict(images.reshape(32, -1)))
    rows = [np.flatnonzero((digits.X_test == img.ravel()).all(axis=1))[0] for img in images]
    assert np.array_equal(data["labels"], digits.y_test[rows])


def test_evaluate_reports_the_same_test_accuracy(trained, capsys):
    folder = trained[3]
    accuracy = next(line for line in trained[1].splitlines() if line.startswith("Test Acc"))
    for argv in (
        ["evaluate", str(folder / "model.npz")],
        ["--headless", "--evaluate", str(folder / "model.npz")],
    ):
        code, out, err = run(argv, capsys)
        assert code == 0, err
        assert accuracy in out.splitlines() and "=== FINAL RESULTS ===" in out


def test_resume_continues_the_run_with_its_history(trained, tmp_path, capsys):
    folder = trained[3]
    code, out, err = run(
        ["--headless", "--resume", str(folder / "model.npz"), "--epochs", "4", "-o", str(tmp_path)],
        capsys,
    )
    assert code == 0, err
    assert [line[:9] for line in out.splitlines() if line.startswith("Epoch")] == ["Epoch   3"]
    before = checkpoint.load(folder / "model.npz").history
    after = checkpoint.load(tmp_path / "model.npz").history
    assert len(after) == 4 and after[:3] == before


def test_resume_refuses_to_change_the_model(trained, capsys):
    code, _, err = run(
        ["--headless", "--resume", str(trained[3] / "model.npz"), "--hidden", "64"], capsys
    )
    assert code == 2
    assert one_error_line(err).startswith("error: --resume: hidden cannot change")


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--headless", "--lr", "-1"], 2, "error: learning_rate: -1.0 is out of range"),
        (["train", "--epochs", "abc"], 2, "error: epochs: 'abc' is not an integer"),
        (["train", "--optimizer", "sgdd"], 2, "error: optimizer: 'sgdd' is not allowed"),
        (["train", "--preset", "nope"], 2, "error: --preset"),
        (["--headless", "--dataset", "/nonexistent/folder", "--epochs", "1"], 1, "error: "),
        (["evaluate", "/nonexistent/model.npz"], 1, "error: /nonexistent/model.npz: no such"),
    ],
)
def test_bad_arguments_end_in_one_clear_line(argv, code, message, capsys, tmp_path):
    if argv[0] == "train" or "--headless" in argv:
        argv = [*argv, "-o", str(tmp_path / "out")]
    got, _, err = run(argv, capsys)
    assert got == code
    assert one_error_line(err).startswith(message)


def test_a_preset_is_the_starting_point_and_options_override_it(tmp_path, capsys):
    from core.training.presets import PRESETS

    preset = PRESETS["seed"]
    code, _, err = run(
        [
            "train",
            "--preset",
            "seed",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--hidden",
            "16",
            "-o",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    config = checkpoint.load(tmp_path / "model.npz").config
    assert (config.dataset, config.epochs, config.hidden) == ("digits", 1, (16,))
    for name in ("optimizer", "learning_rate", "batch_size", "schedule"):
        assert getattr(config, name) == preset.overrides[name]


def test_a_file_that_is_not_a_checkpoint(tmp_path, capsys):
    bad = tmp_path / "model.npz"
    bad.write_text("not a model")
    code, _, err = run(["evaluate", str(bad)], capsys)
    assert (
        code == 1 and one_error_line(err) == f"error: {bad}: not a checkpoint (not an .npz archive)"
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["train", "--timeline-cap", "abc"], "argument --timeline-cap: 'abc' is not a size in MB"),
        (["train", "--at-epoch", "-1"], "argument --at-epoch: '-1' is below 0"),
        (["--headless", "--lr"], "argument --lr: expected one argument"),
        (["sweep", "--seeds", "x"], "argument --seeds: invalid int value: 'x'"),
        (["evaluate"], "the following arguments are required: CHECKPOINT"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["sweep", "--lr", "0.1", "a\nb"], "unrecognized arguments: a\\nb"),
    ],
    ids=["type", "range", "no value", "sweep", "evaluate", "unknown", "line break"],
)
def test_argument_errors_are_one_line_saying_where_the_usage_is(capsys, argv, line):
    code, out, err = run(argv, capsys)
    command = "train" if argv[0] == "--headless" else argv[0]
    assert code == 2 and out == ""
    assert err == f"error: {line} (see python main.py {command} --help)\n"


def test_help_is_the_full_usage(capsys):
    code, out, err = run(["sweep", "--help"], capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: main.py sweep [-h]") and "--seeds N" in out


def test_divergence_stops_with_the_last_epoch_end_saved(tmp_path, capsys):
    run(["--headless", *DIGITS, "--epochs", "1", "-o", str(tmp_path)], capsys)
    first = checkpoint.load(tmp_path / "model.npz")
    code, out, err = run(
        ["--resume", str(tmp_path / "model.npz"), "--lr", "100", "--epochs", "3",
         "-o", str(tmp_path)], capsys,
    )  # fmt: skip
    assert code == 1
    line = one_error_line(err)
    assert re.match(
        r"^error: learning rate 100 diverged at epoch 1, batch \d+ \(loss .*\); "
        r"try <= 0\.1; the model after 1 epoch is in .*model\.npz \(continue with "
        r"--resume .* --lr 0\.1\)$",
        line,
    ), line
    ck = checkpoint.load(tmp_path / "model.npz")  # the epoch end it diverged from: nothing lost
    assert ck.epoch == 1 and ck.step == first.step
    assert all(
        np.array_equal(a, b) for a, b in zip(ck.model.params, first.model.params, strict=True)
    )
    assert "=== FINAL RESULTS ===" in out


def test_divergence_in_the_first_epoch_keeps_nothing_and_says_so(tmp_path, capsys):
    code, out, err = run(
        ["--headless", *DIGITS[:4], "--lr", "100", "--epochs", "2", "-o", str(tmp_path)], capsys
    )
    assert code == 1
    line = one_error_line(err)
    assert re.match(
        r"^error: learning rate 100 diverged at epoch 0, batch \d+ \(loss .*\); try <= 0\.1; "
        r"no epoch ended, so nothing is kept \(start again with --lr 0\.1\)$",
        line,
    ), line
    assert not (tmp_path / "model.npz").exists() and "FINAL RESULTS" not in out


def test_ctrl_c_stops_cleanly_saves_and_exits_130(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--headless",
            *DIGITS,
            "--batch-size",
            "8",
            "--epochs",
            "5000",
            "--no-pictures",
            "-o",
            str(tmp_path),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line.startswith("Epoch"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Stopped by Ctrl-C" in err and "Traceback" not in err
    assert "=== FINAL RESULTS ===" in out
    ck = checkpoint.load(tmp_path / "model.npz")
    assert 1 <= ck.epoch < 5000
    with open(tmp_path / "history.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == ck.epoch


def test_evaluate_a_checkpoint_whose_history_lacks_a_figure(tmp_path, capsys):
    from core.nn.model import MLP
    from core.nn.optim import make_optimizer
    from core.training.config import Config

    model = MLP([64, 8, 10], seed=0)
    path = checkpoint.save(
        tmp_path / "hand made.npz",
        model=model,
        optimizer=make_optimizer("sgd", model.params, 0.1),
        config=Config(dataset="digits", hidden=(8,)),
        history=[{"epoch": 0, "val_acc": 0.25}],
    )
    code, out, err = run(["evaluate", str(path)], capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "Last epoch: Val Acc: 0.2500" in out.splitlines() and "Test Accuracy:" in out


def test_a_dataset_not_found_anywhere_is_one_line_naming_every_place(tmp_path, monkeypatch, capsys):
    from data_fakes import closed_port_url, isolate_data

    url = closed_port_url()
    isolate_data(monkeypatch, tmp_path / "cache")
    monkeypatch.setenv("BACKPROP_MIRROR", url)
    code, _, err = run(["--headless", "--dataset", "mnist", "-o", str(tmp_path / "o")], capsys)
    line = one_error_line(err)
    assert code == 1 and line.startswith("error: MNIST is not available. Looked in: ")
    places = line.partition("Looked in: ")[2].split("; ")
    assert places[0] == "BACKPROP_DATA: not set" and str(tmp_path / "cache") in places[1]
    assert f"download {url}train-images-idx3-ubyte.gz: connection refused" in places[-1]
    assert line.endswith("(--dataset digits).")
