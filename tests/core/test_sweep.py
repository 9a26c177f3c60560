"""Sweeps: expansion, trials through the Trainer, local and Dask backends, CSV resume, output."""

from __future__ import annotations

import argparse
import csv
import math
import sys

import numpy as np
import pytest

from core.cli.sweep import add_sweep_parser, run_sweep_command
from core.errors import ConfigError, DataError
from core.sweep import Axis, Sweep, SweepSpec, run_trial, run_trials
from core.sweep.figure import Heatmap, Parallel, sweep_figure
from core.sweep.results import (
    ResultsFile,
    TrialResult,
    format_table,
    read_results,
    summarize,
    top_runs,
)
from core.training.config import Config

BASE = Config(dataset="digits", epochs=2, hidden=(16,), batch_size=64)


def spec_2x2(**kw) -> SweepSpec:
    axes = (Axis.parse("learning_rate", "0.05,0.3"), Axis.parse("hidden", "8,16"))
    return SweepSpec(BASE, axes, seeds=(0, 1), **kw)


def table(results) -> list[tuple]:
    """The summary without wall-clock times, which no two runs share."""
    return [
        (
            sorted(g.setting.items()),
            g.seeds,
            g.val_acc,
            g.val_acc_std,
            g.best_val_acc,
            g.val_loss,
            g.test_acc,
            g.test_acc_std,
            g.failed,
        )
        for g in summarize(results)
    ]


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """The 2x2 sweep with two seeds, run once on two local processes."""
    path = tmp_path_factory.mktemp("sweep") / "local.csv"
    sweep = Sweep(spec_2x2(), path)
    ran = list(sweep.run(jobs=2))
    return path, ran


# -- what a sweep is --------------------------------------------------------------------


def test_grid_runs_every_combination_once_per_seed():
    trials = spec_2x2().expand()
    combos = {(t.setting["learning_rate"], t.setting["hidden"], t.seed) for t in trials}
    assert len(trials) == len(combos) == 8
    for t in trials:
        config = Config.from_dict(t.config)
        assert config.learning_rate == t.setting["learning_rate"]
        assert config.hidden == (t.setting["hidden"],)
        assert config.seed == t.seed
        assert config.epochs == BASE.epochs and config.batch_size == BASE.batch_size
    assert len({t.key for t in trials}) == 8
    assert [t.key for t in spec_2x2().expand()] == [t.key for t in trials]


def test_depth_and_width_make_the_hidden_layers():
    spec = SweepSpec(BASE, (Axis.parse("hidden", "32,64"), Axis.parse("depth", "0,2")))
    hidden = sorted(Config.from_dict(t.config).hidden for t in spec.expand())
    assert hidden == [(), (32, 32), (64, 64)]  # no hidden layer: one trial, whatever the width


def test_random_search_is_reproducible_and_stays_in_range():
    axes = (
        Axis.parse("learning_rate", "0.001:0.5"),
        Axis.parse("hidden", "16:256"),
        Axis.parse("optimizer", "sgd,adam"),
    )
    spec = SweepSpec(BASE, axes, seeds=(3,), search="random", trials=12, search_seed=7)
    settings = spec.settings()
    assert settings == spec.settings()
    assert settings != SweepSpec(BASE, axes, search="random", trials=12, search_seed=8).settings()
    assert len(settings) == 12
    assert len({tuple(sorted(s.items())) for s in settings}) == 12
    for s in settings:
        assert 0.001 <= s["learning_rate"] <= 0.5
        assert 16 <= s["hidden"] <= 256 and isinstance(s["hidden"], int)
        assert s["optimizer"] in ("sgd", "adam")
    lrs = np.log10([s["learning_rate"] for s in settings])
    assert lrs.min() < -1.5 < lrs.max()  # log-uniform: small rates get drawn too


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("learning_rate", "0.1,-1", "learning_rate"),
        ("learning_rate", "fast", "not a number"),
        ("hidden", "64,0", "hidden"),
        ("depth", "9", "depth"),
        ("optimizer", "sgd,lbfgs", "optimizer"),
        ("optimizer", "a:b", "range"),
        ("dropout", "0.5:0.1", "low < high"),
    ],
)
def test_bad_values_name_the_setting(name, text, words):
    with pytest.raises(ConfigError, match=words):
        Axis.parse(name, text)


def test_a_grid_refuses_ranges():
    with pytest.raises(ConfigError, match="random"):
        SweepSpec(BASE, (Axis.parse("learning_rate", "0.01:0.1"),))


# -- trials -----------------------------------------------------------------------------


def test_a_trial_trains_with_the_trainer_and_repeats_bit_for_bit():
    trial = spec_2x2().expand()[3]
    first, again = run_trial(trial), run_trial(trial)
    assert first.status == "completed" and first.epochs == BASE.epochs
    assert len(first.history) == BASE.epochs
    assert first.val_acc == first.history[-1]["val_acc"]
    assert 0.0 <= first.test_acc <= 1.0 and first.test_acc > 0.1
    for key in ("val_acc", "val_loss", "test_acc", "test_loss", "best_val_acc"):
        assert getattr(first, key) == getattr(again, key)
    assert [h["train_loss"] for h in first.history] == [h["train_loss"] for h in again.history]


def test_a_diverging_trial_ends_and_is_recorded():
    trial = SweepSpec(BASE.replace(learning_rate=50.0)).expand()[0]
    result = run_trial(trial)
    assert result.status == "diverged"
    assert "diverged" in result.message
    assert math.isfinite(result.val_acc)  # judged on the restored parameters


def test_a_trial_whose_data_is_missing_fails_alone():
    trial = SweepSpec(BASE.replace(dataset="no_such_dataset")).expand()[0]
    result = run_trial(trial)
    assert result.status == "error" and "no_such_dataset" in result.message


# -- local and Dask backends --------------------------------------------------------------


def test_local_sweep_streams_every_trial_into_the_csv(local_sweep):
    path, ran = local_sweep
    rows = read_results(path)
    assert len(ran) == len(rows) == 8
    assert {r.key for r in rows} == {t.key for t in spec_2x2().expand()}
    assert all(r.status == "completed" for r in rows)
    with open(path, newline="") as f:
        assert sum(1 for line in f if line.startswith("key,")) == 1  # header once


def test_dask_cluster_gives_the_same_table_as_local_processes(local_sweep, tmp_path):
    distributed = pytest.importorskip("distributed")
    local_csv, _ = local_sweep
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        sweep = Sweep(spec_2x2(), tmp_path / "dask.csv")
        ran = list(sweep.run(backend="dask", scheduler=cluster.scheduler_address))
    assert len(ran) == 8
    assert table(read_results(tmp_path / "dask.csv")) == table(read_results(local_csv))
    assert printed(tmp_path / "dask.csv") == printed(local_csv)


def printed(path) -> list[str]:
    """The printed table without its last column (seconds per trial)."""
    return [
        line.rsplit(None, 1)[0] for line in format_table(summarize(read_results(path))).splitlines()
    ]


def test_dask_backend_without_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"requirements-distributed\.txt"):
        list(run_trials(spec_2x2().expand()[:1], backend="dask"))


def test_unknown_backend_is_refused():
    with pytest.raises(ConfigError, match="backend"):
        list(run_trials(spec_2x2().expand()[:1], backend="spark"))


# -- resume ---------------------------------------------------------------------------------


def test_resume_skips_trials_already_in_the_csv(local_sweep, tmp_path):
    full_csv, _ = local_sweep
    lines = full_csv.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.csv"
    # Three finished trials, then a row the killed process only half wrote.
    cut.write_text("".join(lines[:4]) + lines[4][:30])
    sweep = Sweep(spec_2x2(), cut)
    assert len(sweep.done) == 3 and len(sweep.todo) == 5
    ran = list(sweep.run(jobs=1))
    assert len(ran) == 5
    assert {r.key for r in ran}.isdisjoint(r.key for r in read_results(full_csv)[:3])
    assert table(read_results(cut)) == table(read_results(full_csv))
    assert list(Sweep(spec_2x2(), cut).run(jobs=1)) == []


def test_an_interrupted_sweep_keeps_what_finished(tmp_path):
    path = tmp_path / "stopped.csv"
    runner = Sweep(spec_2x2(), path).run(jobs=1)
    got = [next(runner), next(runner)]
    runner.close()
    assert [r.key for r in read_results(path)] == [r.key for r in got]
    assert len(Sweep(spec_2x2(), path).todo) == 6


def test_a_csv_that_is_not_a_sweep_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("epoch,loss\n0,1.0\n")
    with pytest.raises(DataError, match=r"other\.csv"):
        Sweep(spec_2x2(), path)


# -- summaries and pictures ---------------------------------------------------------------


def fake(lr: float, hidden: int, seed: int, acc: float, optimizer: str = "sgd") -> TrialResult:
    setting = {
        "learning_rate": lr,
        "hidden": hidden,
        "depth": 1,
        "batch_size": 64,
        "optimizer": optimizer,
        "dropout": 0.0,
    }
    config = BASE.replace(
        learning_rate=lr, hidden=(hidden,), optimizer=optimizer, seed=seed
    ).to_dict()
    history = [{"epoch": e, "val_acc": acc * (e + 1) / 3} for e in range(3)]
    return TrialResult(
        f"k{lr}{hidden}{seed}{optimizer}",
        setting,
        seed,
        config,
        "completed",
        acc,
        acc,
        1 - acc,
        acc - 0.01,
        1 - acc,
        3,
        0.5,
        history=history,
    )


def test_summary_groups_seeds_and_sorts_by_mean_validation_accuracy():
    accs = {(0.1, 8): [0.80, 0.84], (0.1, 16): [0.90, 0.86], (0.3, 8): [0.70, 0.72]}
    results = [fake(lr, h, s, a) for (lr, h), v in accs.items() for s, a in enumerate(v)]
    groups = summarize(results)
    assert [(g.setting["learning_rate"], g.setting["hidden"]) for g in groups] == [
        (0.1, 16),
        (0.1, 8),
        (0.3, 8),
    ]
    assert groups[0].val_acc == pytest.approx(np.mean([0.90, 0.86]))
    assert groups[0].val_acc_std == pytest.approx(np.std([0.90, 0.86], ddof=1))
    assert groups[0].seeds == (0, 1)
    text = format_table(groups)
    assert text.splitlines()[0].split()[:2] == ["lr", "hidden"]
    assert "0.8800 ± 0.0283" in text


def test_two_swept_settings_make_a_heatmap_of_the_mean_accuracy():
    results = [
        fake(lr, h, s, 0.5 + lr + h / 100) for lr in (0.1, 0.3) for h in (8, 16, 32) for s in (0, 1)
    ]
    figure = sweep_figure(summarize(results))
    assert isinstance(figure, Heatmap)
    assert (figure.row_name, figure.col_name) == ("learning_rate", "hidden")
    assert figure.row_labels == ("0.1", "0.3") and figure.col_labels == ("8", "16", "32")
    np.testing.assert_allclose(figure.mean[1, 2], 0.5 + 0.3 + 0.32)
    assert (figure.lo, figure.hi) == (pytest.approx(0.68), pytest.approx(1.12))


def test_three_swept_settings_make_parallel_coordinates_best_line_last():
    results = [
        fake(lr, h, 0, 0.5 + lr, o) for lr in (0.1, 0.3) for h in (8, 16) for o in ("sgd", "adam")
    ]
    figure = sweep_figure(summarize(results))
    assert isinstance(figure, Parallel)
    assert figure.axis_labels == ("lr", "hidden", "optimizer", "val acc")
    assert len(figure.lines) == 8 and figure.lines[-1][1] == 1.0
    assert all(len(points) == 4 for points, _ in figure.lines)
    assert sweep_figure(summarize(results[:1])) is None  # nothing varies


def test_top_runs_give_settings_and_curves_best_first(tmp_path):
    file = ResultsFile(tmp_path / "top.csv")
    file.prepare()
    for r in [fake(0.1, 8, 0, 0.7), fake(0.1, 16, 0, 0.9), fake(0.3, 8, 0, 0.8)]:
        file.append(r)
    top = top_runs(tmp_path / "top.csv", 2)
    assert [t["val_acc"] for t in top] == [0.9, 0.8]
    assert top[0]["setting"]["hidden"] == 16
    assert [h["epoch"] for h in top[0]["history"]] == [0, 1, 2]
    assert top[0]["config"]["hidden"] == [16]


# -- the command line ---------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sweep_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


class RecordingPictures:
    """Stands in for the window's drawing: records what the command asks to draw."""

    def __init__(self):
        self.drawn = []

    def run_pictures(self, folder, **run):
        return []

    def sweep_picture(self, path, figure):
        self.drawn.append((path, figure))
        return path


def test_sweep_command_prints_the_table_writes_csv_and_plot_and_resumes(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    pictures = RecordingPictures()
    argv = [
        "sweep",
        "--dataset",
        "digits",
        "--lr",
        "0.05,0.3",
        "--hidden",
        "8,16",
        "--epochs",
        "1",
        "--jobs",
        "1",
        "--set",
        "batch_size=64",
        "--out",
        str(out),
    ]
    assert run_sweep_command(parse(argv), pictures) == 0
    text = capsys.readouterr().out
    assert "4 setting(s) x 1 seed(s) = 4 trial(s)" in text
    assert sum(line.startswith("[") for line in text.splitlines()) == 4
    header = next(line for line in text.splitlines() if line.lstrip().startswith("lr"))
    assert header.split()[:3] == ["lr", "hidden", "seeds"]
    [(path, figure)] = pictures.drawn
    assert path == tmp_path / "cli.png" and isinstance(figure, Heatmap)
    assert f"Plot: {path}" in text
    with open(out, newline="") as f:
        assert len(list(csv.DictReader(f))) == 4
    assert run_sweep_command(parse([*argv, "--seeds", "2"])) == 0
    text = capsys.readouterr().out
    assert "4 already in" in text and "running 4" in text


def test_sweep_command_refuses_a_bad_fixed_setting(tmp_path):
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        run_sweep_command(parse(["sweep", "--set", "epochs", "--out", str(tmp_path / "x.csv")]))
