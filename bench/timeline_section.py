"""The timeline's costs: recording overhead, disk per epoch, a loss landscape's time.

- **Overhead**: the same three-epoch MNIST run at 784-128-10 (SGD, batch 128) with
  a timeline and without, in rounds that run the two back to back (which goes first
  alternates). Each epoch's time is the one its ``EpochReport`` states (batches and
  validation pass; the writer thread competes for the cores meanwhile); the first
  epoch records eleven states (start, batches 1 to 256, its end), the later ones one
  each. The whole run's wall time includes the writer's last flush. A ratio is the
  median over rounds of with / without within a round, so the machine's slower
  swings cancel; the ratios of the medians are kept too. Also the seconds the
  training thread itself spends handing states over (copies and a queue put).
- **Disk**: the bytes of the state files and the journal after the first epoch and
  per later epoch, from real recorded runs at 784-128-10 and 784-1024-1024-10 (SGD:
  no optimiser state; momentum doubles a state, Adam triples it).
- **Landscape**: :func:`core.training.landscape.landscape` over the two-epoch
  784-128-10 run recorded for the disk figures (its twelve moments, 2,000
  validation images): the path, a 31-point line and a 25 × 25 grid, median of a
  few rounds; the grid's share is timed on its own too.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.registry import section
from bench.timing import median

EPOCHS = 3
HIDDEN = ((128,), (1024, 1024))
RESOLUTION = 25


def _config(ds, hidden: tuple[int, ...], epochs: int):
    from core.training.config import Config

    return Config(
        dataset=ds.name,
        hidden=hidden,
        epochs=epochs,
        batch_size=128,
        optimizer="sgd",
        learning_rate=0.1,
    )


def timed_run(ds, hidden: tuple[int, ...], epochs: int, folder: Path | None) -> dict[str, Any]:
    """One run as the command line drives it: its epochs' seconds, its wall time and the
    seconds the training thread itself spent handing states to the writer."""
    from core.training.control import TrainingControl
    from core.training.events import EpochReport
    from core.training.recorder import TimelineWriter
    from core.training.trainer import Trainer

    handed = {"first": 0.0, "later": 0.0, "first_states": 0}

    class TimedWriter(TimelineWriter):
        def record(self, trainer: Any, kind: Any, position: Any = None) -> None:
            t0 = time.perf_counter()
            super().record(trainer, kind, position)
            later = kind == "epoch" and trainer.epoch > 1
            handed["later" if later else "first"] += time.perf_counter() - t0
            handed["first_states"] += 0 if later else 1

    writer = TimedWriter(folder) if folder is not None else None
    trainer = Trainer(
        _config(ds, hidden, epochs), ds, TrainingControl(), snapshots=False, timeline=writer
    )
    t0 = time.perf_counter()
    epochs_s = [ev.seconds for ev in trainer.run() if isinstance(ev, EpochReport)]
    wall = time.perf_counter() - t0
    return {"epochs": epochs_s, "wall": wall, "handed": handed}


def overhead(ctx: Context, ds, reps: int) -> dict[str, Any]:
    """With / without a timeline, interleaved rounds (the order alternates), medians."""
    runs: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        timed_run(ds, HIDDEN[0], 1, Path(tmp) / "warm")  # caches, BLAS threads, page faults
        for r in range(reps):
            order = ("with", "without") if r % 2 == 0 else ("without", "with")
            for name in order:
                folder = Path(tmp) / f"{name}{r}" if name == "with" else None
                runs[name].append(timed_run(ds, HIDDEN[0], EPOCHS, folder))
            ctx.log(
                f"timeline: round {r + 1}/{reps}: first epoch "
                f"{runs['with'][-1]['epochs'][0]:.3f} s with, "
                f"{runs['without'][-1]['epochs'][0]:.3f} s without"
            )

    def med(name: str, pick) -> float:
        return median([pick(run) for run in runs[name]])

    first = {n: med(n, lambda run: run["epochs"][0]) for n in runs}
    later = {n: med(n, lambda run: statistics.median(run["epochs"][1:])) for n in runs}
    wall = {n: med(n, lambda run: run["wall"]) for n in runs}
    pairs = list(zip(runs["with"], runs["without"], strict=True))
    per_round = [w["epochs"][0] / wo["epochs"][0] for w, wo in pairs]
    later_rounds = [
        statistics.median(w["epochs"][1:]) / statistics.median(wo["epochs"][1:]) for w, wo in pairs
    ]
    return {
        "architecture": f"{ds.n_features}-128-{ds.n_classes}",
        "batch": 128,
        "epochs": EPOCHS,
        "first_epoch_states": runs["with"][0]["handed"]["first_states"],
        "rounds": reps,
        "first_epoch_s": first,
        "later_epoch_s": later,
        "run_wall_s": wall,
        "first_epoch_ratio": median(per_round),
        "later_epoch_ratio": median(later_rounds),
        "run_ratio": median([w["wall"] / wo["wall"] for w, wo in pairs]),
        "first_epoch_ratio_of_medians": first["with"] / first["without"],
        "later_epoch_ratio_of_medians": later["with"] / later["without"],
        "first_epoch_ratio_per_round": per_round,
        "later_epoch_ratio_per_round": later_rounds,
        "handed_first_epoch_s": median([w["handed"]["first"] for w, _ in pairs]),
        "handed_later_epoch_s": median([w["handed"]["later"] / (EPOCHS - 1) for w, _ in pairs]),
        "times": runs,
    }


def disk(ctx: Context, ds, hidden: tuple[int, ...], folder: Path) -> dict[str, Any]:
    """Bytes a recorded two-epoch run leaves: after its first epoch, and per later epoch."""
    from core.training.timeline import JOURNAL, TIMELINE_DIR, Timeline

    ctx.log(f"timeline: disk at hidden {'-'.join(map(str, hidden))}")
    timed_run(ds, hidden, 2, folder)
    tl = Timeline(folder)
    first = [m for m in tl.moments if m.step <= tl.at_epoch(1).step]
    end = tl.at_epoch(2)
    journal = (folder / TIMELINE_DIR / JOURNAL).stat().st_size
    return {
        "architecture": "-".join(map(str, (ds.n_features, *hidden, ds.n_classes))),
        "parameters": int(sum(p.size for p in tl.load(end).params)),
        "first_epoch_states": len(first),
        "first_epoch_bytes": sum(m.bytes for m in first),
        "epoch_state_bytes": end.bytes,
        "journal_bytes": journal,
        "total_bytes": tl.nbytes + journal,
    }


def landscape_time(ctx: Context, ds, folder: Path, reps: int) -> dict[str, Any]:
    from core.training.landscape import LINE_ALPHAS, SUBSET, landscape
    from core.training.timeline import Timeline

    tl = Timeline(folder)
    times, grid_times = [], []
    for r in range(reps):
        marks: dict[str, float] = {}
        points = len(tl) + len(LINE_ALPHAS)

        def progress(done: int, total: int, marks=marks, points=points) -> None:
            if done == points:
                marks["grid_start"] = time.perf_counter()

        t0 = time.perf_counter()
        landscape(tl, ds.X_val, ds.y_val, resolution=RESOLUTION, progress=progress)
        end = time.perf_counter()
        times.append(end - t0)
        grid_times.append(end - marks["grid_start"])
        ctx.log(f"timeline: landscape round {r + 1}/{reps}: {times[-1]:.2f} s")
    return {
        "architecture": f"{ds.n_features}-128-{ds.n_classes}",
        "resolution": RESOLUTION,
        "states": len(tl),
        "line_points": len(LINE_ALPHAS),
        "subset": min(SUBSET, len(ds.y_val)),
        "seconds": median(times),
        "grid_seconds": median(grid_times),
        "times": times,
    }


@section("timeline", "Timeline: recording overhead, disk per epoch, loss landscape time")
def run(ctx: Context) -> dict[str, Any]:
    ds = ctx.dataset()
    reps = 3 if ctx.quick else max(ctx.reps, 7)
    out: dict[str, Any] = {"dataset": ds.name, "n_train": len(ds.y_train)}
    out["overhead"] = overhead(ctx, ds, reps)
    with tempfile.TemporaryDirectory() as tmp:
        out["disk"] = [
            disk(ctx, ds, hidden, Path(tmp) / f"h{i}")
            for i, hidden in enumerate(HIDDEN[:1] if ctx.quick else HIDDEN)
        ]
        out["landscape"] = landscape_time(ctx, ds, Path(tmp) / "h0", 1 if ctx.quick else 3)
    return out
