"""Sweeps: many headless training runs over a grid or a random sample of settings.

A sweep is a list of :class:`Trial` values (one setting, one seed, a full
configuration), each run by :func:`run_trial` in a worker process: the Trainer,
headless, with one BLAS thread so that N trials keep N cores busy without
oversubscribing them. joblib hands the trials out (loky processes on this
machine, or a Dask cluster with ``backend="dask"``: the same trials, no other code
change) and streams the results back as they finish; each one is appended to the
sweep's CSV at once, which is also what lets an interrupted sweep resume.

A trial is a pure function of its configuration: the same setting and seed give
the same numbers bit for bit on any backend, so a sweep run here and on a cluster
produce the same table.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.config import OPTIMIZERS, Config
from core.errors import BackpropError, ConfigError
from core.sweep_figure import save_figure
from core.sweep_results import (
    LABELS,
    SETTING_NAMES,
    ResultsFile,
    TrialResult,
    format_table,
    format_value,
    summarize,
    top_runs,
)

if TYPE_CHECKING:
    from core.data import Dataset

__all__ = [
    "Axis", "Sweep", "SweepSpec", "Trial", "add_sweep_parser", "run_sweep_command",
    "run_trial", "run_trials", "top_runs",
]

BACKENDS = ("loky", "dask")
INTEGER_SETTINGS = ("hidden", "depth", "batch_size")
#: Settings sampled on a log scale in a random search (their effect is multiplicative).
LOG_SCALE = ("learning_rate", "hidden", "batch_size")


@dataclass(frozen=True)
class Axis:
    """The values one setting takes in a sweep: a list, or a ``[low, high]`` range.

    A range only makes sense for a random search, which samples it (log-uniformly
    for the learning rate, hidden width and batch size; uniformly otherwise).
    """

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @classmethod
    def parse(cls, name: str, text: str) -> Axis:
        """``"0.01,0.03,0.1"`` (a list) or ``"1e-3:1e-1"`` (a range), checked per value."""
        text = text.strip()
        if ":" in text:
            if name == "optimizer":
                raise ConfigError(f"{name}: {text!r}: a range needs numbers; list the choices")
            lo_text, _, hi_text = text.partition(":")
            lo, hi = _setting_value(name, lo_text), _setting_value(name, hi_text)
            if not lo < hi:
                raise ConfigError(f"{name}: range {text!r} needs low < high")
            return cls(name, low=lo, high=hi)
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            raise ConfigError(f"{name}: no values given")
        values = tuple(dict.fromkeys(_setting_value(name, p) for p in parts))
        return cls(name, values=values)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value for a random search."""
        if not self.is_range:
            return self.values[int(rng.integers(len(self.values)))]
        lo, hi = float(self.low), float(self.high)
        if self.name in LOG_SCALE:
            x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        else:
            x = rng.uniform(lo, hi)
        if self.name in INTEGER_SETTINGS:
            return int(min(max(round(x), self.low), self.high))
        return float(f"{x:.3g}")


def _setting_value(name: str, text: str) -> Any:
    """One value of a swept setting from text, validated against Config's ranges."""
    text = text.strip()
    try:
        if name == "optimizer":
            value: Any = text.lower()
        elif name in INTEGER_SETTINGS:
            value = int(text)
        else:
            value = float(text)
    except ValueError:
        kind = "an integer" if name in INTEGER_SETTINGS else "a number"
        raise ConfigError(f"{name}: {text!r} is not {kind}") from None
    if name == "hidden":
        Config.check_value("hidden", (value,))
    elif name == "depth":
        if not 0 <= value <= 8:
            raise ConfigError(f"depth: {value} is out of range; allowed 0 to 8 hidden layers")
    else:
        Config.check_value(name, value)
    return value


def _setting_of(config: Config) -> dict[str, Any]:
    return {
        "learning_rate": config.learning_rate,
        "hidden": config.hidden[0] if config.hidden else 128,
        "depth": config.depth,
        "batch_size": config.batch_size,
        "optimizer": config.optimizer,
        "dropout": config.dropout,
    }


def _config_for(base: Config, setting: dict[str, Any], seed: int) -> Config:
    return base.replace(
        learning_rate=setting["learning_rate"],
        hidden=(setting["hidden"],) * setting["depth"],
        batch_size=setting["batch_size"],
        optimizer=setting["optimizer"],
        dropout=setting["dropout"],
        seed=seed,
    )


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: a setting, a seed and the full configuration they make.

    ``key`` identifies the run (a hash of its configuration and data split), so a
    resumed sweep recognises a trial it has already done, whatever order it comes in.
    """

    setting: dict[str, Any]
    seed: int
    config: dict[str, Any]
    data_seed: int = 0
    key: str = field(init=False)

    def __post_init__(self) -> None:
        text = json.dumps([self.config, self.data_seed], sort_keys=True)
        object.__setattr__(self, "key", hashlib.sha1(text.encode()).hexdigest()[:16])

    def describe(self) -> str:
        parts = [f"{LABELS[n]}={format_value(self.setting[n])}" for n in SETTING_NAMES]
        return " ".join(parts) + f" seed={self.seed}"


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: a base configuration, the axes, the seeds and how to search.

    ``search="grid"`` runs every combination of the axes' values; ``"random"`` draws
    ``trials`` distinct settings (reproducibly, from ``search_seed``). Every setting
    runs once per seed. Settings not on an axis keep the base configuration's value.
    """

    base: Config = field(default_factory=Config)
    axes: tuple[Axis, ...] = ()
    seeds: tuple[int, ...] = (0,)
    search: str = "grid"
    trials: int = 10
    search_seed: int = 0
    data_seed: int = 0

    def __post_init__(self) -> None:
        if self.search not in ("grid", "random"):
            raise ConfigError(f"search: {self.search!r} is not allowed; choose grid or random")
        if not self.seeds:
            raise ConfigError("seeds: at least one seed is needed")
        names = [a.name for a in self.axes]
        unknown = set(names) - set(SETTING_NAMES)
        if unknown:
            raise ConfigError(f"unknown swept setting(s): {', '.join(sorted(unknown))}")
        if len(set(names)) != len(names):
            raise ConfigError("a setting is swept twice")
        if self.search == "grid":
            ranged = [a.name for a in self.axes if a.is_range]
            if ranged:
                raise ConfigError(
                    f"{', '.join(ranged)}: a grid needs lists of values; "
                    "ranges (low:high) are for --search random"
                )
        elif self.trials < 1:
            raise ConfigError(f"trials: {self.trials} must be at least 1")
        for seed in self.seeds:
            Config.check_value("seed", seed)

    @property
    def swept(self) -> list[str]:
        """Settings that take more than one value."""
        return [a.name for a in self.axes if a.is_range or len(a.values) > 1]

    def settings(self) -> list[dict[str, Any]]:
        """The distinct settings to try, in a stable order."""
        default = _setting_of(self.base)
        if self.search == "grid":
            combos = itertools.product(*(a.values for a in self.axes))
            return [default | dict(zip([a.name for a in self.axes], c, strict=True))
                    for c in combos]
        rng = np.random.default_rng(self.search_seed)
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(self.trials * 50):
            if len(seen) == self.trials:
                break
            setting = default | {a.name: a.sample(rng) for a in self.axes}
            seen.setdefault(json.dumps(setting, sort_keys=True), setting)
        return list(seen.values())

    def expand(self) -> list[Trial]:
        """Every trial of the sweep: each setting once per seed.

        Settings that make the same run (any hidden width with no hidden layer)
        are one trial, not several.
        """
        trials: dict[str, Trial] = {}
        for setting in self.settings():
            for seed in self.seeds:
                config = _config_for(self.base, setting, seed).to_dict()
                trial = Trial(setting, seed, config, self.data_seed)
                trials.setdefault(trial.key, trial)
        return list(trials.values())


# -- one trial, in a worker process ---------------------------------------------------


@functools.lru_cache(maxsize=2)
def _dataset(name: str, path: str | None, val_fraction: float, seed: int) -> Dataset:
    """The dataset, loaded once per worker process and shared by its trials.

    Workers never download: several at once would race for the same cache files.
    A local sweep fetches the files once beforehand (:func:`fetch_dataset`); on a
    cluster they must already be on the workers (``BACKPROP_DATA`` or a data path).
    """
    from core.data import load_dataset

    return load_dataset(name, path, val_fraction=val_fraction, seed=seed, download=False)


def fetch_dataset(trial: Trial, *, keep: bool = False) -> None:
    """Make sure this machine has the trial's dataset files (downloading them if needed).

    Raises :class:`~core.errors.DatasetUnavailable` before any trial starts, rather
    than letting every trial fail with the same message. A known dataset is only
    located, not parsed, so the workers are not kept waiting; ``keep`` loads it into
    this process's cache too, for trials that will run in this process.
    """
    from core.data import load_dataset
    from core.data.catalog import source_for
    from core.data.locate import locate

    c = trial.config
    args = (c["dataset"], c["data_path"], c["val_fraction"], trial.data_seed)
    source = source_for(c["dataset"])
    if source is not None:
        locate(source, c["data_path"], download=True)
    elif not keep:  # the bundled digits or a folder: cheap to load, and checked here
        load_dataset(args[0], args[1], val_fraction=args[2], seed=args[3], download=False)
    if keep:
        _dataset(*args)


def run_trial(trial: Trial) -> TrialResult:
    """Train one trial headless with one BLAS thread; runs in whatever process calls it.

    The dataset is loaded here (and cached for the process), never shipped with the
    trial. Divergence ends the trial with status "diverged"; one of our errors (a
    dataset missing on this worker, say) ends it with status "error" and the
    message, so one bad trial does not sink the sweep.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        try:
            return _train(trial)
        except BackpropError as e:
            nan = math.nan
            return TrialResult(
                trial.key, trial.setting, trial.seed, trial.config, "error",
                nan, nan, nan, nan, nan, 0, 0.0, message=str(e),
            )


def _train(trial: Trial) -> TrialResult:
    from core.control import TrainingControl
    from core.events import Diverged, Finished
    from core.trainer import Trainer

    config = Config.from_dict(trial.config)
    data = _dataset(config.dataset, config.data_path, config.val_fraction, trial.data_seed)
    control = TrainingControl()
    trainer = Trainer(config, data, control)
    start = time.perf_counter()
    status, message = "completed", ""
    for event in trainer.run():
        if isinstance(event, Diverged):
            # The Trainer pauses for a person to decide; a sweep has none, so it stops.
            status, message = "diverged", event.message.split(". ")[0]
            control.stop()
        elif isinstance(event, Finished) and event.reason == "error":
            status, message = "error", event.message
    seconds = time.perf_counter() - start
    history = [_plain(h) for h in trainer.history]
    if status == "completed" and history:
        val_loss, val_acc = history[-1]["val_loss"], history[-1]["val_acc"]
    else:  # stopped early: judge the parameters it ended with (the last good ones)
        val_loss, val_acc = trainer.model.evaluate(data.X_val, data.y_val)
    test_loss, test_acc = trainer.model.evaluate(data.X_test, data.y_test)
    return TrialResult(
        trial.key, trial.setting, trial.seed, trial.config, status,
        val_acc=float(val_acc),
        best_val_acc=max([float(val_acc)] + [float(h["val_acc"]) for h in history]),
        val_loss=float(val_loss), test_acc=float(test_acc), test_loss=float(test_loss),
        epochs=len(history), seconds=seconds, message=message, history=history,
    )


def _plain(value: Any) -> Any:
    """JSON-ready copy of a history entry (NumPy scalars and tuples become plain values)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- many trials, on local processes or a Dask cluster --------------------------------


def default_jobs() -> int:
    """One trial per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_trials(
    trials: Sequence[Trial],
    *,
    jobs: int | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
) -> Iterator[TrialResult]:
    """Run ``trials`` in parallel and yield each result as soon as its trial finishes.

    ``backend="loky"``: ``jobs`` processes on this machine (default: one per core).
    ``backend="dask"``: the workers of the Dask scheduler at ``scheduler`` (for
    example ``tcp://10.0.0.5:8786``), or, without an address, a local Dask cluster
    of ``jobs`` single-threaded worker processes. Closing the generator early
    cancels the trials not yet started.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"backend: {backend!r} is not allowed; choose {' or '.join(BACKENDS)}")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"jobs: {jobs} must be at least 1")
    if not trials:
        return
    import joblib

    with contextlib.ExitStack() as stack:
        if backend == "dask":
            client = stack.enter_context(_dask_client(scheduler, jobs))
            stack.enter_context(joblib.parallel_config(backend="dask", client=client))
            n_jobs = jobs or -1
        else:
            n_jobs = jobs or default_jobs()
            stack.enter_context(
                joblib.parallel_config(backend="loky", inner_max_num_threads=1)
            )
        parallel = joblib.Parallel(
            n_jobs=min(n_jobs, len(trials)) if n_jobs > 0 else n_jobs,
            return_as="generator_unordered", batch_size=1, pre_dispatch="2*n_jobs",
        )
        yield from parallel(joblib.delayed(run_trial)(t) for t in trials)


@contextlib.contextmanager
def _dask_client(scheduler: str | None, jobs: int | None) -> Iterator[Any]:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "backend dask: dask.distributed is not installed; install it with "
            "`pip install -r requirements-distributed.txt`"
        ) from None
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout="15s")
            except (OSError, TimeoutError, ValueError) as e:
                raise ConfigError(f"scheduler {scheduler}: cannot connect ({e})") from None
            stack.callback(client.close)
            _ship_code(client)
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=jobs or default_jobs(), threads_per_worker=1, processes=True,
                dashboard_address=None,
            ))
            client = distributed.Client(cluster)
            stack.callback(client.close)
        yield client


def _ship_code(client: Any) -> None:
    """Send this copy of ``core`` to the scheduler and every worker, present and future.

    The scheduler unpickles the trials and the workers run them, so both need our
    package; shipped as a zip on their import path, a cluster needs only the
    third-party libraries installed, and it runs exactly the code of this sweep.
    """
    import tempfile
    import zipfile

    package = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "backprop_core.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for source in sorted(package.rglob("*.py")):
                z.write(source, Path("core") / source.relative_to(package))
        client.upload_file(str(archive), load=True)


class Sweep:
    """A sweep bound to its CSV: what is planned, what is done, and running the rest.

    ``planned`` lists every trial; ``done`` the results already in the CSV (from an
    earlier, interrupted run); :meth:`run` runs the others, appending each result to
    the CSV the moment it arrives, and yields it.
    """

    def __init__(self, spec: SweepSpec, csv_path: str | os.PathLike) -> None:
        self.spec = spec
        self.file = ResultsFile(csv_path)
        self.planned = spec.expand()
        keys = {t.key for t in self.planned}
        self.done = [r for r in self.file.read() if r.key in keys]
        done_keys = {r.key for r in self.done}
        self.todo = [t for t in self.planned if t.key not in done_keys]

    def run(
        self, *, jobs: int | None = None, backend: str = "loky", scheduler: str | None = None
    ) -> Iterator[TrialResult]:
        keys = {t.key for t in self.planned}
        self.done = [r for r in self.file.prepare() if r.key in keys]
        finished = {r.key for r in self.done}
        self.todo = [t for t in self.planned if t.key not in finished]
        # One trial at a time runs here, in this process: it needs the data loaded here.
        here = backend == "loky" and min(jobs or default_jobs(), len(self.todo)) == 1
        if backend == "loky" and self.todo:
            fetch_dataset(self.todo[0], keep=here)
        try:
            for result in run_trials(self.todo, jobs=jobs, backend=backend, scheduler=scheduler):
                self.file.append(result)
                self.done.append(result)
                yield result
        finally:
            if here:
                _dataset.cache_clear()  # a long-lived process (the window) need not keep it

    def results(self) -> list[TrialResult]:
        """This sweep's results in the CSV (earlier runs included)."""
        keys = {t.key for t in self.planned}
        return [r for r in self.file.read() if r.key in keys]


# -- the command line ------------------------------------------------------------------

_AXIS_FLAGS = (
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
    for flag, name, text in _AXIS_FLAGS:
        flags = (flag, "--batch-size") if name == "batch_size" else (flag,)
        what.add_argument(*flags, dest=f"axis_{name}", metavar="VALUES", help=text)
    what.add_argument("--seeds", type=int, default=1, metavar="N",
                      help="run every setting with N seeds (default 1)")
    what.add_argument("--first-seed", type=int, default=0, metavar="S",
                      help="seeds are S, S+1, ... (default 0)")
    what.add_argument("--search", choices=("grid", "random"), default="grid")
    what.add_argument("--trials", type=int, default=10, metavar="N",
                      help="random search: number of settings to draw (default 10)")
    what.add_argument("--search-seed", type=int, default=0, metavar="S",
                      help="random search: seed of the draw (default 0)")
    fixed = p.add_argument_group("fixed settings of every trial")
    fixed.add_argument("--dataset", default="mnist",
                       help="mnist, fashion_mnist, digits, cifar10 or a folder (mnist)")
    fixed.add_argument("--data-path", default=None, help="explicit data folder")
    fixed.add_argument("--epochs", type=int, default=None, help="epochs per trial (10)")
    fixed.add_argument("--set", dest="fixed", action="append", default=[], metavar="NAME=VALUE",
                       help="any other setting, e.g. --set activation=tanh (repeatable)")
    run = p.add_argument_group("where and how to run")
    run.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="trials at a time (default: one per core; dask: all workers)")
    run.add_argument("--backend", choices=BACKENDS, default="loky",
                     help="loky: processes here (default); dask: a Dask cluster")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    out = p.add_argument_group("output")
    out.add_argument("--out", default="sweep.csv", metavar="CSV",
                     help="results file, appended as trials finish (default sweep.csv)")
    out.add_argument("--plot", default=None, metavar="PNG",
                     help="heatmap or parallel-coordinates plot (default: next to the CSV)")
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
        for _, name, _ in _AXIS_FLAGS
        if getattr(args, f"axis_{name}") is not None
    )
    if args.seeds < 1:
        raise ConfigError(f"--seeds: {args.seeds} must be at least 1")
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    return SweepSpec(base, axes, seeds, args.search, args.trials, args.search_seed)


def run_sweep_command(
    args: argparse.Namespace, render: Callable[..., Any] | None = None
) -> int:
    """``python main.py sweep ...``: run, stream to the CSV, print the table, draw the plot.

    ``render`` is accepted for symmetry with the other commands; the sweep's plot is
    drawn by the core itself (a PNG written with NumPy), so it is not needed.
    """
    del render
    spec = spec_from_args(args)
    sweep = Sweep(spec, args.out)
    n_settings = len(sweep.planned) // len(spec.seeds)
    where = (
        f"Dask at {args.scheduler}" if args.backend == "dask" and args.scheduler
        else "a local Dask cluster" if args.backend == "dask"
        else f"{min(args.jobs or default_jobs(), max(1, len(sweep.todo)))} process(es)"
    )
    print(
        f"Sweep: {n_settings} setting(s) x {len(spec.seeds)} seed(s) = {len(sweep.planned)} "
        f"trial(s) on {spec.base.dataset}, {spec.base.epochs} epoch(s) each; "
        f"{len(sweep.planned) - len(sweep.todo)} already in {args.out}; "
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
        print(f"\nInterrupted: {count} of {total} trial(s) are in {args.out}; "
              "run the same command again to resume.", flush=True)
        return 130
    elapsed = time.perf_counter() - start
    if sweep.todo:
        rate = len(sweep.todo) / elapsed * 60 if elapsed > 0 else math.inf
        print(f"{len(sweep.todo)} trial(s) in {elapsed:.1f} s ({rate:.1f} trials/min)")
    groups = summarize(sweep.results())
    print()
    print(format_table(groups))
    if not args.no_plot and groups:
        plot = Path(args.plot) if args.plot else Path(args.out).with_suffix(".png")
        if save_figure(groups, plot):
            print(f"\nPlot: {plot}")
    print(f"Results: {args.out}")
    return 0


def _progress_line(count: int, total: int, r: TrialResult, names: Sequence[str]) -> str:
    width = len(str(total))
    setting = " ".join(f"{LABELS[n]}={format_value(r.setting[n])}" for n in names or SETTING_NAMES)
    figures = (
        f"val acc {r.val_acc:.4f}  test acc {r.test_acc:.4f}  {r.epochs} ep  {r.seconds:.2f} s"
    )
    note = "" if r.status == "completed" else f"  [{r.status}: {r.message}]"
    return f"[{count:>{width}}/{total}] {setting} seed={r.seed}  {figures}{note}"
