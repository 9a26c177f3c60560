"""Sweep throughput: trials per minute with one worker process and with two.

The same sweep (one-epoch MNIST trials, 784-128-10, three learning rates, several
seeds) runs twice through ``core.sweep``: one trial at a time (``--jobs 1``, in
this process), then two at a time on two loky worker processes, each trial
pinned to one BLAS thread. The times are end to end, as a person sees
them (starting the worker processes and loading the data in each included); the
steady rate leaves that start-up out: results per minute after the first one.
The two runs must also agree trial for trial, since a trial is a function of its
setting and seed alone.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.context import Context, find_mnist
from bench.registry import section
from core.sweep import Axis, Sweep, SweepSpec
from core.training.config import Config


def sweep_spec(dataset: str, data_path: str | None, seeds: int) -> SweepSpec:
    base = Config(
        dataset=dataset,
        data_path=data_path,
        epochs=1,
        hidden=(128,),
        batch_size=128,
        optimizer="sgd",
    )
    axes = (Axis("learning_rate", values=(0.05, 0.1, 0.2)),)
    return SweepSpec(base, axes, seeds=tuple(range(seeds)))


def measure(
    dataset: str = "mnist",
    data_path: str | None = None,
    seeds: int = 6,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the benchmark sweep with 1 and 2 workers; trials/min for each and the speedup."""
    spec = sweep_spec(dataset, data_path, seeds)
    out: dict[str, Any] = {
        "dataset": dataset,
        "trials": len(spec.expand()),
        "epochs": 1,
        "architecture": "input-128-10",
        "blas_threads_per_trial": 1,
    }
    outcomes = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            sweep = Sweep(spec, Path(folder) / "bench.csv")
            start = time.perf_counter()
            arrivals, results = [], []
            for r in sweep.run(jobs=jobs):
                arrivals.append(time.perf_counter() - start)
                results.append(r)
            wall = time.perf_counter() - start
        outcomes[jobs] = {r.key: (r.val_acc, r.test_acc) for r in results}
        per_min = len(results) / wall * 60
        # Once the workers are up and have their data: results per minute after the first.
        steady = (len(results) - 1) / (arrivals[-1] - arrivals[0]) * 60
        out[f"workers_{jobs}"] = {
            "seconds": round(wall, 2),
            "trials_per_min": round(per_min, 2),
            "steady_trials_per_min": round(steady, 2),
            "first_result_s": round(arrivals[0], 2),
            "trial_s_median": round(statistics.median(r.seconds for r in results), 3),
            # Trials running at once, on average: how much of the parallelism was real.
            "concurrency": round(sum(r.seconds for r in results) / wall, 2),
        }
        log(
            f"sweep: {len(results)} trials on {jobs} worker(s): {wall:.1f} s, "
            f"{per_min:.1f} trials/min"
        )
    for key in ("trials_per_min", "steady_trials_per_min"):
        ratio = out["workers_2"][key] / out["workers_1"][key]
        out["speedup" if key == "trials_per_min" else "steady_speedup"] = round(ratio, 2)
    out["same_results"] = outcomes[1] == outcomes[2]
    out["machine_speedup_2_processes"] = round(parallel_capacity(), 2)
    log(
        f"sweep: speedup {out['speedup']} end to end, {out['steady_speedup']} steady; "
        f"a pure compute job gets {out['machine_speedup_2_processes']} here"
    )
    return out


def _matmul_seconds(reps: int = 30) -> float:
    """Seconds for a fixed single-threaded float32 matmul loop: pure compute, no data."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((800, 800), dtype=np.float32)
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        for _ in range(reps):
            a @ a
        return time.perf_counter() - start


def parallel_capacity() -> float:
    """How much faster two single-threaded processes get a fixed job done than one.

    About 2 on two idle cores; less when other work shares the machine. It puts the
    sweep's speedup in context: the sweep cannot beat what the machine offers.
    """
    import joblib

    solo = _matmul_seconds()
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        joblib.Parallel(n_jobs=2)(joblib.delayed(_matmul_seconds)(1) for _ in range(2))
        start = time.perf_counter()
        joblib.Parallel(n_jobs=2)(joblib.delayed(_matmul_seconds)() for _ in range(2))
        pair = time.perf_counter() - start
    return 2 * solo / pair


def run() -> dict[str, Any]:
    """The measurement on real MNIST when it is here, else on the bundled digits."""
    folder = find_mnist()
    if folder is None:
        return measure("digits", None, seeds=8)
    return measure("mnist", str(folder))


@section("sweep", "Sweep throughput: trials/min on 1 and 2 worker processes")
def sweep_section(ctx: Context) -> dict[str, Any]:
    if ctx.dataset_name == "mnist":
        return measure("mnist", str(ctx.mnist_dir()), seeds=2 if ctx.quick else 6, log=ctx.log)
    return measure(ctx.dataset_name, None, seeds=8, log=ctx.log)
