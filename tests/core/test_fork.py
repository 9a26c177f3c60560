"""Forks: a run continued from a recorded moment repeats the original exactly, or branches."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil

import numpy as np
import pytest

from core.cli import main
from core.errors import ConfigError
from core.training import checkpoint
from core.training.config import Config
from core.training.recorder import TimelineWriter
from core.training.timeline import Timeline
from core.training.trainer import Trainer

#: Every source of randomness on: shuffles, dropout masks, augmentation; Adam's state.
CFG = Config(
    dataset="digits",
    hidden=(16,),
    epochs=4,
    batch_size=32,
    optimizer="adam",
    learning_rate=0.01,
    dropout=0.2,
    augment="shift",
    schedule="cosine",
    seed=7,
)
#: The figures an epoch reports that must repeat bit for bit (times never do).
FIGURES = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "learning_rate", "step")


def figures(rows) -> list[dict]:
    return [{k: r[k] for k in FIGURES} for r in rows]


def same_params(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def original(digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("original")
    trainer = Trainer(CFG, digits, timeline=TimelineWriter(folder), snapshots=False)
    list(trainer.run())
    return folder, trainer


@pytest.mark.parametrize(
    "pick", ["start", "batch 1", "batch 16", "epoch 1", "epoch 3"], ids=lambda p: p
)
def test_a_fork_without_change_repeats_the_run_bit_for_bit(original, digits, pick):
    folder, trainer = original
    tl = Timeline(folder)
    what, _, number = pick.partition(" ")
    moment = tl.at_batch(int(number)) if what == "batch" else tl.at_epoch(int(number or 0))
    fork = Trainer.from_state(tl.load(moment), digits, snapshots=False, source=str(folder))
    list(fork.run())
    assert figures(fork.history) == figures(trainer.history)
    assert same_params(fork.model.params, trainer.model.params)
    for slot in ("m", "v"):
        assert same_params(fork.optimizer.state[slot], trainer.optimizer.state[slot])
    assert fork.optimizer.t == trainer.optimizer.t and fork.step == trainer.step
    assert fork.branch is not None and fork.branch["changed"] == {}
    assert fork.branch["step"] == moment.step and fork.changes == trainer.changes


def test_a_fork_with_a_change_differs_from_there_on_and_records_where_it_branched(
    original, digits, tmp_path
):
    folder, trainer = original
    tl = Timeline(folder)
    moment = tl.at_epoch(2)
    fork = Trainer.from_state(
        tl.load(moment),
        digits,
        changes={"learning_rate": 0.003},
        source=str(folder),
        timeline=TimelineWriter(tmp_path),
        snapshots=False,
    )
    list(fork.run())
    assert figures(fork.history[:2]) == figures(trainer.history[:2])
    for mine, theirs in zip(fork.history[2:], trainer.history[2:], strict=True):
        assert mine["train_loss"] != theirs["train_loss"] and mine["val_loss"] != theirs["val_loss"]
    assert fork.config.learning_rate == 0.003
    branch = {
        "source": str(folder.resolve()),
        "moment": "after 2 epochs",
        "kind": "epoch",
        "epoch": 2,
        "batch": 0,
        "step": moment.step,
        "changed": {"learning_rate": [0.01, 0.003]},
    }
    assert fork.branch == branch
    change = fork.changes[-1]
    assert (change["name"], change["old"], change["new"]) == ("learning_rate", 0.01, 0.003)
    assert (change["epoch"], change["batch"], change["step"]) == (2, 0, moment.step)
    # ... in its checkpoint (and a resumed fork stays one), and in its own timeline.
    ck = checkpoint.load(checkpoint.save(tmp_path / "model.npz", fork))
    assert ck.meta["branch"] == branch and ck.trainer(digits).branch == branch
    mine = Timeline(tmp_path)
    assert mine.branch == branch
    assert [(m.kind, m.epoch) for m in mine.moments] == [("start", 2), ("epoch", 3), ("epoch", 4)]
    assert mine.history == fork.history and mine.changes[-1]["name"] == "learning_rate"


def test_a_fork_may_change_width_optimiser_and_regularisation(original, digits):
    folder, _ = original
    state = Timeline(folder).load(Timeline(folder).at_batch(8))
    changes = {"hidden": (24,), "optimizer": "momentum", "l2": 1e-4, "dropout": 0.0}
    fork = Trainer.from_state(state, digits, changes=changes, snapshots=False)
    # At the moment of the fork the widened network computes the same function.
    before = state.model().predict_proba(digits.X_val)
    assert np.allclose(fork.model.predict_proba(digits.X_val), before, atol=1e-6)
    assert fork.model.sizes == [64, 24, 10] and fork.optimizer.name == "momentum"
    assert fork.optimizer.t == 0 and fork.model.l2 == 1e-4 and fork.model.dropout == 0.0
    events = list(fork.run())
    assert events[-1].reason == "completed" and len(fork.history) == 4
    assert fork.history[0]["architecture"] == [64, 24, 10]
    assert {c["name"] for c in fork.changes} == {"hidden", "optimizer", "l2", "dropout"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"activation": "tanh"}, "activation cannot change in a fork"),
        ({"seed": 1}, "seed cannot change in a fork"),
        ({"hidden": (16, 8)}, "keeps the network's 1 hidden layer"),
        ({"epochs": 2}, r"epochs: 2 in all leaves nothing to train .*after 2 epochs"),
        ({"learning_rate": -1.0}, "learning_rate: -1.0 is out of range"),
    ],
)
def test_a_fork_refuses_what_it_cannot_change(original, digits, changes, message):
    folder, _ = original
    state = Timeline(folder).load(Timeline(folder).at_epoch(2))
    with pytest.raises(ConfigError, match=message):
        Trainer.from_state(state, digits, changes=changes)


def test_a_fork_refuses_other_data(original):
    from core.data import load_dataset

    other_split = load_dataset("digits", seed=0, val_fraction=0.25)  # same shapes, other rows
    folder, _ = original
    state = Timeline(folder).load(Timeline(folder).at_epoch(1))
    with pytest.raises(ConfigError, match="training samples; the run was recorded on 1317"):
        Trainer.from_state(state, other_split)


# -- the command line ---------------------------------------------------------------
def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


ARGS = ["--dataset", "digits", "--hidden", "16", "--batch-size", "32", "--optimizer", "momentum"]
ARGS += ["--dropout", "0.1", "--augment", "shift", "--no-pictures"]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "a"
    code, out, err = run(["train", *ARGS, "--epochs", "4", "-o", str(folder)])
    assert code == 0, err
    return folder, out


def epoch_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("Epoch ")]


def rows(folder) -> list[dict]:
    with open(folder / "history.csv", newline="") as f:
        return [{k: r[k] for k in FIGURES} for r in csv.DictReader(f)]


def test_a_cli_fork_of_a_reloaded_run_folder_repeats_it_bit_for_bit(cli_run, tmp_path):
    folder, out = cli_run
    copy = tmp_path / "copied"
    shutil.copytree(folder, copy)  # saved, moved, read back from disk: nothing held in memory
    code, fork_out, err = run(
        [
            "train",
            "--fork",
            str(copy),
            "--at-epoch",
            "2",
            "--no-pictures",
            "-o",
            str(tmp_path / "f"),
        ]
    )
    assert code == 0, err
    assert f"Fork of {copy} after 2 epochs (step 84): no change" in fork_out
    assert epoch_lines(fork_out) == epoch_lines(out)[2:]
    assert rows(tmp_path / "f") == rows(folder)
    mine, theirs = (checkpoint.load(p / "model.npz") for p in (tmp_path / "f", folder))
    assert same_params(mine.model.params, theirs.model.params)
    assert mine.meta["branch"]["source"] == str(copy.resolve())


def test_a_cli_fork_with_a_change_branches(cli_run, tmp_path):
    folder, out = cli_run
    code, fork_out, err = run(
        [
            "train",
            "--fork",
            str(folder),
            "--at-batch",
            "4",
            "--lr",
            "0.02",
            "--batch-size",
            "64",
            "--no-pictures",
            "-o",
            str(tmp_path),
        ]
    )
    assert code == 0, err
    assert "epoch 0, batch 4 (step 4): learning_rate 0.1 -> 0.02, batch_size 32 -> 64" in fork_out
    lines = epoch_lines(fork_out)
    assert len(lines) == 4 and lines[0] != epoch_lines(out)[0]
    branch = checkpoint.load(tmp_path / "model.npz").meta["branch"]
    assert branch["changed"] == {"learning_rate": [0.1, 0.02], "batch_size": [32, 64]}
    assert Timeline(tmp_path).branch == branch


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--at-batch", "3"], 1, "recorded: 1, 2, 4, 8, 16, 32"),
        ([], 2, "say which moment, with either --at-epoch K or --at-batch N"),
        (["--at-epoch", "1", "--at-batch", "2"], 2, "either --at-epoch K or --at-batch N"),
        (["--at-epoch", "1", "--activation", "tanh"], 2, "activation cannot change in a fork"),
        (["--at-epoch", "4"], 2, "epochs: 4 in all leaves nothing to train"),
        (["--at-epoch", "1", "--resume", "x.npz"], 2, "cannot be combined with --resume"),
        (["--at-epoch", "1", "--preset", "fast"], 2, "--preset cannot be combined"),
    ],
)
def test_a_bad_fork_on_the_command_line_is_one_clear_line(cli_run, argv, code, message):
    folder, _ = cli_run
    got, _, err = run(["train", "--fork", str(folder), *argv])
    lines = err.strip().splitlines()
    assert got == code and len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]


def test_a_bad_epoch_lists_the_recorded_ones(cli_run):
    folder, _ = cli_run
    code, _, err = run(["train", "--fork", str(folder), "--at-epoch", "9"])
    assert code == 1
    assert err.strip() == (
        f"error: {folder / 'timeline'}: no state after 9 epoch(s) was recorded; "
        "recorded (epochs done): 0-4"
    )


def test_fork_options_out_of_place_are_refused(cli_run, tmp_path):
    folder, _ = cli_run
    code, _, err = run(["train", "--at-epoch", "1", "--dataset", "digits"])
    assert code == 2 and "pick a moment of --fork RUN_FOLDER" in err
    code, _, err = run(["train", "--fork", str(folder), "--at-epoch", "1", "-o", str(folder)])
    assert code == 2 and "not into the run it forks" in err
    code, _, err = run(["train", "--fork", str(tmp_path), "--at-epoch", "1"])
    assert code == 1 and "no timeline here" in err
    code, _, err = run(["train", "--fork", str(tmp_path / "nothere"), "--at-epoch", "1"])
    assert code == 1 and err.strip() == f"error: {tmp_path / 'nothere'}: no such folder"
    code, _, err = run(["train", "--fork", str(folder), "--at-epoch", "-1"])
    assert code == 2 and "'-1' is below 0" in err
