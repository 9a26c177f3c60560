"""``python main.py sweep``: a sweep from the command line, its table and its plot."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.cli.common import Pictures, writable
from core.cli.signals import Stop
from core.data.catalog import DATASET_CHOICES
from core.errors import ConfigError
from core.guard.paths import check_distinct, check_output, expand
from core.sweep import Axis, Sweep, SweepSpec, default_jobs
from core.sweep.figure import sweep_figure
from core.sweep.results import (
    LABELS,
    SETTING_NAMES,
    TrialResult,
    format_table,
    format_value,
    summarize,
)
from core.sweep.runner import BACKENDS
from core.sweep.spec import MAX_TRIALS
from core.training.config import OPTIMIZERS, Config

AXIS_FLAGS = (
    ("--lr", "learning_rate", "learning rates, e.g. 0.01,0.03,0.1 (random search: 1e-3:1)"),
    ("--hidden", "hidden", "hidden layer widths, e.g. 64,128,256"),
    ("--depth", "depth", "numbers of hidden layers, e.g. 1,2"),
    ("--batch", "batch_size", "batch sizes, e.g. 32,128"),
    ("--optimizer", "optimizer", f"optimisers, e.g. sgd,adam (of {', '.join(OPTIMIZERS)})"),
    ("--dropout", "dropout", "dropout rates, e.g. 0,0.2"),
)


def add_sweep_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "sweep",
        help="train many settings (grid or random search) in parallel",
        description="Train every setting of a grid (or a random sample) once per seed, in "
        "parallel; stream results to a CSV, print a table sorted by validation accuracy "
        "and draw a plot. Run again with the same CSV to resume.",
    )
    add_sweep_arguments(p)
    return p


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_argument_group("what to sweep (lists: a,b,c; ranges for random search: lo:hi)")
    for flag, name, text in AXIS_FLAGS:
        flags = (flag, "--batch-size") if name == "batch_size" else (flag,)
        what.add_argument(*flags, dest=f"axis_{name}", metavar="VALUES", help=text)
    what.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="run every setting with N seeds (default 1)",
    )
    what.add_argument(
        "--first-seed", type=int, default=0, metavar="S", help="seeds are S, S+1, ... (default 0)"
    )
    what.add_argument("--search", choices=("grid", "random"), default="grid")
    what.add_argument(
        "--trials",
        type=int,
        default=10,
        metavar="N",
        help="random search: number of settings to draw (default 10)",
    )
    what.add_argument(
        "--search-seed",
        type=int,
        default=0,
        metavar="S",
        help="random search: seed of the draw (default 0)",
    )
    fixed = p.add_argument_group("fixed settings of every trial")
    fixed.add_argument(
        "--dataset",
        default="mnist",
        help=f"{DATASET_CHOICES} (mnist)",
    )
    fixed.add_argument("--data-path", default=None, help="explicit data folder")
    fixed.add_argument("--epochs", type=int, default=None, help="epochs per trial (10)")
    fixed.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other setting, e.g. --set activation=tanh (repeatable)",
    )
    run = p.add_argument_group("where and how to run")
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="trials at a time (default: one per core; dask: all workers)",
    )
    run.add_argument(
        "--backend",
        choices=BACKENDS,
        default="loky",
        help="loky: processes here (default); dask: a Dask cluster",
    )
    run.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--out",
        default="sweep.csv",
        metavar="CSV",
        help="results file, appended as trials finish (default sweep.csv)",
    )
    out.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="heatmap or parallel-coordinates plot (default: next to the CSV)",
    )
    out.add_argument("--no-plot", action="store_true", help="do not draw the plot")


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The :class:`SweepSpec` the command-line options describe."""
    values: dict[str, str] = {"dataset": args.dataset, "epochs": "10"}
    for item in args.fixed:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        values[name.strip()] = value
    if args.epochs is not None:
        values["epochs"] = str(args.epochs)
    if args.data_path:
        values["data_path"] = args.data_path
    base = Config.from_strings(values)
    axes = tuple(
        Axis.parse(name, getattr(args, f"axis_{name}"))
        for _, name, _ in AXIS_FLAGS
        if getattr(args, f"axis_{name}") is not None
    )
    if not 1 <= args.seeds <= MAX_TRIALS:
        raise ConfigError(f"--seeds: {args.seeds} is out of range; allowed 1 to {MAX_TRIALS:,}")
    if not 1 <= args.trials <= MAX_TRIALS:
        raise ConfigError(f"--trials: {args.trials} is out of range; allowed 1 to {MAX_TRIALS:,}")
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    return SweepSpec(base, axes, seeds, args.search, args.trials, args.search_seed)


def run_sweep_command(
    args: argparse.Namespace, pictures: Pictures | None = None, stop: Stop | None = None
) -> int:
    """``python main.py sweep ...``: run, stream to the CSV, print the table, draw the plot.

    The plot is drawn by ``pictures`` (the same path as a training run's pictures);
    without it, or when there is nothing to draw, only the table and CSV are made.
    """
    stop = stop if stop is not None else Stop()
    spec = spec_from_args(args)
    out, plot = _outputs(args, pictures)
    sweep = Sweep(spec, out)
    _report_unreadable(out, sweep.unreadable)
    n_settings = len(sweep.planned) // len(spec.seeds)
    where = (
        f"Dask at {args.scheduler}"
        if args.backend == "dask" and args.scheduler
        else "a local Dask cluster"
        if args.backend == "dask"
        else f"{min(args.jobs or default_jobs(), max(1, len(sweep.todo)))} process(es)"
    )
    print(
        f"Sweep: {n_settings} setting(s) x {len(spec.seeds)} seed(s) = {len(sweep.planned)} "
        f"trial(s) on {spec.base.dataset}, {spec.base.epochs} epoch(s) each; "
        f"{len(sweep.planned) - len(sweep.todo)} already in {out}; "
        f"running {len(sweep.todo)} on {where}.",
        flush=True,
    )
    total, count = len(sweep.planned), len(sweep.planned) - len(sweep.todo)
    start = time.perf_counter()
    try:
        for result in sweep.run(jobs=args.jobs, backend=args.backend, scheduler=args.scheduler):
            count += 1
            print(_progress_line(count, total, result, spec.swept), flush=True)
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: {count} of {total} trial(s) are in {out}; "
            "run the same command again to resume.",
            flush=True,
        )
        return stop.exit_code
    elapsed = time.perf_counter() - start
    if sweep.todo:
        rate = len(sweep.todo) / elapsed * 60 if elapsed > 0 else math.inf
        print(f"{len(sweep.todo)} trial(s) in {elapsed:.1f} s ({rate:.1f} trials/min)")
    groups = summarize(sweep.results())
    print()
    print(format_table(groups))
    figure = sweep_figure(groups)
    if plot is not None and pictures is not None and figure is not None:
        written = pictures.sweep_picture(plot, figure)
        if written is not None:
            print(f"\nPlot: {written}")
    print(f"Results: {out}")
    return 0


def _outputs(args: argparse.Namespace, pictures: Pictures | None) -> tuple[Path, Path | None]:
    """The results file and the plot (None when none is drawn), checked before any trial.

    Neither may be a device, FIFO or folder, and they must be two different files:
    a plot written over the results would lose them. Their folders, where they exist
    already, must take new files: a plot that cannot be written is found out before
    the trials, not after them.
    """
    out = expand(args.out, "--out")
    plot = None
    if pictures is not None and not args.no_plot:
        plot = expand(args.plot, "--plot") if args.plot else out.with_suffix(".png")
    outputs: dict[str, Path] = {"--out": out}
    if plot is not None:
        outputs["--plot" if args.plot else "the plot"] = plot
    for what, path in outputs.items():
        try:
            check_output(path)
        except OSError as exc:
            raise ConfigError(f"{what} {path}: {exc.strerror}; refusing to write there") from None
    check_distinct(outputs)
    for folder in sorted({path.parent for path in outputs.values()}):
        if folder.is_dir():
            writable(folder)
    return out, plot


def _report_unreadable(path: Path, rows: Sequence[tuple[int, str]]) -> None:
    """One warning for the rows of the results file that could not be read (they are kept)."""
    if not rows:
        return
    shown = "; ".join(f"line {line}: {why}" for line, why in rows[:3])
    more = f"; and {len(rows) - 3} more" if len(rows) > 3 else ""
    print(
        f"warning: {path}: {len(rows)} row(s) could not be read and are left as they are "
        f"({shown}{more}); their trials run again",
        file=sys.stderr,
    )


def _progress_line(count: int, total: int, r: TrialResult, names: Sequence[str]) -> str:
    width = len(str(total))
    setting = " ".join(f"{LABELS[n]}={format_value(r.setting[n])}" for n in names or SETTING_NAMES)
    figures = (
        f"val acc {r.val_acc:.4f}  test acc {r.test_acc:.4f}  {r.epochs} ep  {r.seconds:.2f} s"
    )
    note = "" if r.status == "completed" else f"  [{r.status}: {r.message}]"
    return f"[{count:>{width}}/{total}] {setting} seed={r.seed}  {figures}{note}"
