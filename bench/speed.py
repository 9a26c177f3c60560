"""Training speed: our Trainer and engine against a minimal NumPy loop, PyTorch and the floors.

For each (hidden, batch) shape every contestant trains one epoch per round on the
same data; rounds are interleaved and the median epoch counts. Ratios are epoch
time over epoch time within this run, so load from elsewhere mostly cancels.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from bench.context import Context
from bench.loops import EngineLoop, GatherFloor, MatmulFloor, ReferenceLoop, TrainerLoop
from bench.registry import section
from bench.timing import interleaved, median, spread

HIDDEN = (128, 512)
BATCHES = (32, 128, 512)
#: Ratios worth a column: (numerator, denominator).
RATIOS = (
    ("trainer", "numpy"),
    ("engine", "numpy"),
    ("trainer", "pytorch"),
    ("trainer", "matmul floor"),
    ("engine", "matmul floor"),
    ("numpy", "matmul floor"),
)


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def contestants(ctx: Context, dataset, hidden: int, batch: int) -> dict[str, Any]:
    """Every loop that can run here, built and ready for its first epoch."""
    X, y = dataset.X_train, dataset.y_train
    loops: dict[str, Any] = {}
    if has_module("core.training.trainer"):
        loops["trainer"] = TrainerLoop(dataset, hidden, batch)
    loops["engine"] = EngineLoop(X, y, hidden, batch)
    loops["numpy"] = ReferenceLoop(X, y, hidden, batch)
    if has_module("torch"):
        from bench.torch_loop import TorchLoop

        loops["pytorch"] = TorchLoop(X, y, hidden, batch)
    loops["matmul floor"] = MatmulFloor(X, y, hidden, batch)
    loops["gather floor"] = GatherFloor(X, y, hidden, batch)
    return loops


def measure_shape(ctx: Context, dataset, hidden: int, batch: int) -> dict[str, Any]:
    loops = contestants(ctx, dataset, hidden, batch)
    times = interleaved({name: loop.epoch for name, loop in loops.items()}, ctx.reps)
    n = dataset.X_train.shape[0]
    seconds = {name: median(t) for name, t in times.items()}
    ratios = {
        f"{a} / {b}": seconds[a] / seconds[b] for a, b in RATIOS if a in seconds and b in seconds
    }
    return {
        "hidden": hidden,
        "batch": batch,
        "seconds": seconds,
        "samples_per_s": {name: n / s for name, s in seconds.items()},
        "spread": {name: spread(t) for name, t in times.items()},
        "ratios": ratios,
        "times": times,
    }


@section("speed", "Training speed, one epoch (medians of interleaved rounds)")
def run(ctx: Context) -> dict[str, Any]:
    dataset = ctx.dataset()
    shapes = [(128, 128)] if ctx.quick else [(h, b) for h in HIDDEN for b in BATCHES]
    rows = []
    for hidden, batch in shapes:
        ctx.log(f"speed: hidden {hidden}, batch {batch}")
        rows.append(measure_shape(ctx, dataset, hidden, batch))
    notes = []
    if not has_module("core.training.trainer"):
        notes.append("core.training.trainer is not available: the Trainer row is missing")
    if not has_module("torch"):
        notes.append("torch is not installed (pip install -r requirements-bench.txt)")
    return {
        "dataset": dataset.name,
        "n_train": int(dataset.X_train.shape[0]),
        "n_features": int(dataset.X_train.shape[1]),
        "reps": ctx.reps,
        "rows": rows,
        "notes": notes,
    }
