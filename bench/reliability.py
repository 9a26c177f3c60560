"""Reliability, the long versions: a soak run in the window and the large fuzz runs.

``python -m bench --only reliability`` runs both; ``python -m bench.reliability --soak``
runs the soak alone in this process and prints one ``SOAK {json}`` line.

The soak trains 300 epochs of the bundled 8x8 digits inside the studio window
(Qt offscreen) while a live setting changes every second, as a person playing with
the sliders would. It reports the resident memory at epoch 10 and at the end (the
growth must stay under 50 MB: nothing may pile up per epoch or per change) and
the GUI thread's worst stall, measured as the longest gap between the ticks of a
10 ms timer (target: under 100 ms). The fuzz runs are the ``slow``-marked
property tests of tests/reliability (at least 2,000 generated cases per reader).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
from typing import Any

from bench.context import ROOT, Context, scratch_runs
from bench.registry import section

SOAK_EPOCHS = 300
TICK_MS = 10
CHANGE_EVERY_MS = 1000
RSS_FROM_EPOCH = 10
#: Targets of the soak (issue: reliability suite).
MAX_GROWTH_MB, MAX_STALL_MS = 50.0, 100.0


def rss_mb() -> float:
    """Resident set of this process now, in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(epochs: int = SOAK_EPOCHS, seed: int = 0) -> dict[str, Any]:
    """Train ``epochs`` epochs of the digits in a shown window, changing a slider every second."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from core.training.config import Config
    from gui.main_window import MainWindow
    from gui.panels.controls import hidden_to_position, lr_to_position

    app = QApplication.instance() or QApplication([])
    config = Config(
        dataset="digits", hidden=(64,), learning_rate=0.1, batch_size=32, epochs=epochs, seed=seed
    )
    window = MainWindow(config, preload=False)
    window.on_unsaved_close = "discard"
    window.resize(1280, 800)
    window.show()
    # A person presses Start on a window already drawn: its first paint is not training's.
    QTest.qWaitForWindowExposed(window)
    QTest.qWait(200)
    c = window.controls
    rng = random.Random(seed)
    sliders = [
        (c.learning_rate.slider, lr_to_position(0.01), lr_to_position(0.3)),
        (c.batch_size.slider, 4, 8),  # 16 .. 256
        (c.hidden.slider, hidden_to_position(32), hidden_to_position(256)),
    ]
    reports, changes, rss = [], [], {}
    window.bus.epoch.connect(reports.append)
    window.bus.changed.connect(changes.append)

    last_move = [time.perf_counter()]
    moves = [0]

    def move() -> None:
        slider, lo, hi = rng.choice(sliders)
        slider.setValue(rng.randint(lo, hi))
        moves[0] += 1
        last_move[0] = time.perf_counter()

    def on_epoch(ev: Any) -> None:
        if ev.epoch + 1 == RSS_FROM_EPOCH:
            rss["at_epoch_10"] = rss_mb()
        if time.perf_counter() - last_move[0] > CHANGE_EVERY_MS / 1000:
            move()  # the timer was starved: the change is due, make it now

    window.bus.epoch.connect(on_epoch)
    loop = QEventLoop()
    window.bus.finished.connect(lambda _ev: loop.quit())
    ticks: list[float] = []
    tick = QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.timeout.connect(lambda: ticks.append(time.perf_counter()))
    mover = QTimer()
    mover.timeout.connect(move)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(60 * 60 * 1000)
    started = time.perf_counter()
    train_start: list[float] = []

    runs: list[Any] = []  # the window lets go of its run when it finishes: keep it here

    def on_started(_ev: Any) -> None:
        train_start.append(time.perf_counter())
        runs.append(window.run)
        tick.start(TICK_MS)
        mover.start(CHANGE_EVERY_MS)

    window.bus.started.connect(on_started)
    window.start()
    loop.exec()
    ended = time.perf_counter()
    seconds = ended - started
    tick.stop()
    mover.stop()
    deadline = time.perf_counter() + 10
    # Let the last events and paints through, and the trainer reach the window (queued).
    while time.perf_counter() < deadline and runs and runs[-1].trainer is None:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    for _ in range(20):
        app.processEvents()
    rss["at_end"] = rss_mb()
    trainer = runs[-1].trainer if runs and runs[-1] is not None else None
    window.close()
    # From the start of training to its end: a timer that never fired stalled all along.
    first = train_start[0] if train_start else started
    edges = [first, *(t for t in ticks if t >= first), ended]
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(edges))
    history = [row["epoch"] for row in trainer.history] if trainer is not None else []
    return {
        "epochs": len(reports),
        "finished": guard.isActive(),
        "seconds": round(seconds, 1),
        "slider_changes": moves[0],
        "changes_applied": len(changes),
        "rss_epoch10_mb": round(rss.get("at_epoch_10", float("nan")), 1),
        "rss_end_mb": round(rss["at_end"], 1),
        "rss_growth_mb": round(rss["at_end"] - rss.get("at_epoch_10", float("nan")), 1),
        "worst_stall_ms": round(gaps[-1], 1) if gaps else None,
        "stall_p99_ms": round(gaps[int(0.99 * (len(gaps) - 1))], 1) if gaps else None,
        "stalls_over_100ms": sum(g > MAX_STALL_MS for g in gaps),
        "ticks": len(ticks),
        "history_whole": history == list(range(len(history))) == [r.epoch for r in reports],
    }


def fuzz_long() -> dict[str, Any]:
    """The slow property tests (>= 2,000 cases per reader); pass/fail and time per test."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "slow",
            "-q",
            "-p",
            "no:cacheprovider",
            "--durations=0",
            "tests/reliability/test_fuzz_readers.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    durations = {
        m.group(2).split("::")[-1]: float(m.group(1))
        for m in re.finditer(r"^([\d.]+)s call\s+(\S+)$", proc.stdout, re.MULTILINE)
    }
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    return {
        "passed": proc.returncode == 0,
        "summary": summary,
        "test_seconds": durations,
        "seconds": round(time.perf_counter() - t0, 1),
    }


@section("reliability", "Reliability: 300-epoch soak in the window, long fuzz runs", default=False)
def run(ctx: Context) -> dict[str, Any]:
    epochs = 30 if ctx.quick else SOAK_EPOCHS
    ctx.log(f"soak: {epochs} epochs of the digits in the window, a change every second")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.reliability", "--soak", "--epochs", str(epochs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("SOAK ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"soak exited {proc.returncode}: {proc.stderr[-600:]}")
    out: dict[str, Any] = {"soak": json.loads(lines[-1][len("SOAK ") :])}
    if not ctx.quick:
        ctx.log("fuzz: the slow property tests (>= 2,000 cases per reader)")
        out["fuzz"] = fuzz_long()
    soak_ = out["soak"]
    out["targets"] = {
        "rss_growth_under_50mb": soak_["rss_growth_mb"] < MAX_GROWTH_MB,
        "worst_stall_under_100ms": (soak_["worst_stall_ms"] or 0) < MAX_STALL_MS,
    }
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.reliability")
    p.add_argument("--soak", action="store_true", help="run the soak in this process")
    p.add_argument("--epochs", type=int, default=SOAK_EPOCHS)
    args = p.parse_args(argv)
    if args.soak:
        with scratch_runs():
            print("SOAK " + json.dumps(soak(args.epochs)), flush=True)
    else:
        print(json.dumps(run(Context()), indent=2))


if __name__ == "__main__":
    main()
