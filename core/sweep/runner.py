"""Running a sweep: many headless training runs, in parallel, streamed to a CSV.

Each :class:`~core.sweep.spec.Trial` is run by :func:`run_trial` in a worker
process: the Trainer, headless, with one BLAS thread so that N trials keep N cores
busy without oversubscribing them. joblib hands the trials out (loky processes on
this machine, or a Dask cluster with ``backend="dask"``: the same trials, no other
code change) and streams the results back as they finish; each one is appended to
the sweep's CSV at once, which is also what lets an interrupted sweep resume.

A trial is a pure function of its configuration: the same setting and seed give
the same numbers bit for bit on any backend, so a sweep run here and on a cluster
produce the same table.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import BackpropError, ConfigError
from core.sweep.results import ResultsFile, TrialResult
from core.sweep.spec import SweepSpec, Trial
from core.training.config import Config

if TYPE_CHECKING:
    from core.data import Dataset

BACKENDS = ("loky", "dask")

# -- one trial, in a worker process ---------------------------------------------------


@functools.lru_cache(maxsize=2)
def _dataset(
    name: str, path: str | None, val_fraction: float, seed: int, image_size: int, colour: str
) -> Dataset:
    """The dataset, loaded once per worker process and shared by its trials.

    Workers never download: several at once would race for the same cache files.
    A local sweep fetches the files once beforehand (:func:`fetch_dataset`); on a
    cluster they must already be on the workers (``BACKPROP_DATA`` or a data path).
    An image folder is decoded once beforehand too, so the workers read its cache.
    """
    from core.data import load_dataset

    return load_dataset(
        name,
        path,
        val_fraction=val_fraction,
        seed=seed,
        download=False,
        image_size=image_size,
        colour=colour,
    )


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

    c = Config.from_dict(trial.config)
    args = _data_args(c, trial.data_seed)
    source = source_for(c.dataset)
    if source is not None:
        locate(source, c.data_path, download=True)
    elif not keep:  # the bundled digits or a folder: checked here (and an image folder cached)
        name, path, val_fraction, seed, image_size, colour = args
        load_dataset(
            name,
            path,
            val_fraction=val_fraction,
            seed=seed,
            download=False,
            image_size=image_size,
            colour=colour,
        )
    if keep:
        _dataset(*args)


def _data_args(c: Config, data_seed: int) -> tuple[str, str | None, float, int, int, str]:
    """What :func:`_dataset` needs from a trial's settings."""
    return c.dataset, c.data_path, c.val_fraction, data_seed, c.image_size, c.colour


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
                trial.key,
                trial.setting,
                trial.seed,
                trial.config,
                "error",
                nan,
                nan,
                nan,
                nan,
                nan,
                0,
                0.0,
                message=str(e),
            )


def _train(trial: Trial) -> TrialResult:
    from core.training.control import TrainingControl
    from core.training.events import Diverged, Finished
    from core.training.trainer import Trainer

    config = Config.from_dict(trial.config)
    data = _dataset(*_data_args(config, trial.data_seed))
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
        trial.key,
        trial.setting,
        trial.seed,
        trial.config,
        status,
        val_acc=float(val_acc),
        best_val_acc=max([float(val_acc)] + [float(h["val_acc"]) for h in history]),
        val_loss=float(val_loss),
        test_acc=float(test_acc),
        test_loss=float(test_loss),
        epochs=len(history),
        seconds=seconds,
        message=message,
        history=history,
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
            stack.enter_context(joblib.parallel_config(backend="loky", inner_max_num_threads=1))
        parallel = joblib.Parallel(
            n_jobs=min(n_jobs, len(trials)) if n_jobs > 0 else n_jobs,
            return_as="generator_unordered",
            batch_size=1,
            pre_dispatch="2*n_jobs",
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
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=jobs or default_jobs(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
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

    package = Path(__file__).resolve().parents[1]  # core/
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
    the CSV the moment it arrives, and yields it. ``unreadable`` lists the rows of
    the CSV that could not be read (line number, why): they stay in the file, and
    their trials, not being done, run again.
    """

    def __init__(self, spec: SweepSpec, csv_path: str | os.PathLike) -> None:
        self.spec = spec
        self.file = ResultsFile(csv_path)
        self.planned = spec.expand()
        keys = {t.key for t in self.planned}
        self.done = [r for r in self.file.read() if r.key in keys]
        self.unreadable = self.file.unreadable
        done_keys = {r.key for r in self.done}
        self.todo = [t for t in self.planned if t.key not in done_keys]

    def run(
        self, *, jobs: int | None = None, backend: str = "loky", scheduler: str | None = None
    ) -> Iterator[TrialResult]:
        keys = {t.key for t in self.planned}
        self.done = [r for r in self.file.prepare() if r.key in keys]
        self.unreadable = self.file.unreadable
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
