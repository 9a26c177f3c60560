"""Scrubbing the timeline while the window trains, in one fresh process.

Run as ``python -m bench.scrub_probe --epochs E --rounds R [--data DIR]`` (the scrub
section does that); prints one ``SCRUBPROBE {json}`` line. Each round trains the same
MNIST run in a shown ``MainWindow`` (Qt offscreen, every view live), recording into a
temporary folder. Rounds alternate: one trains untouched, the next is scrubbed: once
the first epoch's moments and two epoch ends are recorded, the timeline's slider is
moved one moment every 16 ms (a mouse drag at 60 Hz), from the newest moment back to
the start and forward again, pass after pass until the run ends (``QSlider.setValue``,
which is what a drag does).

Measured in the GUI thread: a 10 ms ``QTimer`` records the gaps between its ticks
(the worst gap is the longest the window could not react), in both kinds of round;
each slider move's own cost (the slot chain it runs synchronously); and how long a
moment takes to appear once asked for (the two turning points of each pass, where the
drag rests and its request wins), the first time a moment is shown and when it is
shown again. Training throughput (``EpochReport.samples_per_s``) in both kinds of
round says what the loading costs the run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["BACKPROP_ON_UNSAVED_CLOSE"] = "discard"

TICK_MS = 10
MOVE_MS = 16


def window_round(config, scrub: bool, timeout_s: float) -> dict[str, Any]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from gui.main_window import MainWindow

    window = MainWindow(config, preload=False)
    window.show()
    session, slider = window.session, window.timeline_bar.slider
    reports, ticks, moves, shown = [], [], [], []
    span: dict[str, float] = {}
    asked: dict[int, float] = {}
    ever: set[int] = set()  # moments shown before: kept, so shown again at once
    window.bus.epoch.connect(lambda ev: reports.append(ev))
    window.bus.started.connect(lambda _ev: span.setdefault("start", time.perf_counter()))
    loop = QEventLoop()
    window.bus.finished.connect(lambda _ev: loop.quit())
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start(TICK_MS)

    # The drag: newest -> 0 -> newest, again and again, one moment per MOVE_MS; each pass
    # over the moments recorded when it begins. A pass's two turning points are the
    # requests that win (the drag rests there for a moment): their delay is measured.
    drag: list[tuple[int, bool]] = []

    def on_changed(view) -> None:
        i = view.timeline.shown
        if i is not None and i in asked and (not shown or shown[-1][0] != i):
            fresh = i not in ever
            shown.append((i, time.perf_counter() - asked.pop(i), fresh))
        if i is not None:
            ever.add(i)

    def move() -> None:
        if not drag:
            moments = session.view.timeline.moments
            firsts = sum(1 for m in moments if m.epoch == 0)
            if firsts < 2 or len(moments) < firsts + 2:
                return  # wait for the first epoch's moments and two epoch ends
            n = len(moments)
            down = [(i, i == 0) for i in range(n - 1, -1, -1)]
            drag.extend(down + [(i, i == n - 1) for i in range(1, n)])
        i, turn = drag.pop(0)
        t0 = time.perf_counter()
        if turn:
            asked[i] = t0
        slider.setValue(i)
        moves.append(time.perf_counter() - t0)

    session.changed.connect(on_changed)
    mover = QTimer()
    mover.setTimerType(Qt.TimerType.PreciseTimer)
    mover.timeout.connect(move)
    if scrub:
        mover.start(MOVE_MS)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    window.start()
    loop.exec()
    end = time.perf_counter()
    mover.stop()
    ticker.stop()
    finished = guard.isActive()
    guard.stop()
    window.close()
    window.deleteLater()
    start = span.get("start", end)
    during = [t for t in ticks if start <= t <= end]
    gaps = sorted(((b - a) * 1000 for a, b in itertools.pairwise(during)), reverse=True)
    return {
        "scrubbed": scrub,
        "finished": finished,
        "samples_per_s": [ev.samples_per_s for ev in reports],
        "gaps_ms": gaps[:20],
        "gap_p99_ms": gaps[len(gaps) // 100] if gaps else None,
        "moves": len(moves),
        "move_ms": [m * 1000 for m in moves],
        "latency_ms": [s * 1000 for _i, s, fresh in shown if fresh],
        "latency_again_ms": [s * 1000 for _i, s, fresh in shown if not fresh],
        "training_s": end - start,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2, help="scrubbed rounds (as many plain)")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)

    from bench.context import scratch_runs

    with scratch_runs():
        from PySide6.QtWidgets import QApplication

        from core.training.config import Config

        app = QApplication.instance() or QApplication([])
        config = Config(
            dataset=args.dataset,
            data_path=args.data,
            hidden=(args.hidden,),
            batch_size=128,
            epochs=args.epochs,
            learning_rate=0.1,
            seed=0,
        )
        rounds = []
        for _ in range(args.rounds):
            for scrub in (False, True):
                rounds.append(window_round(config, scrub, timeout_s=120 + 30 * args.epochs))
                app.processEvents()

    def pooled(key: str, scrubbed: bool) -> list[float]:
        return [v for r in rounds if r["scrubbed"] == scrubbed for v in r[key]]

    def worst(scrubbed: bool) -> float | None:
        gaps = pooled("gaps_ms", scrubbed)
        return max(gaps) if gaps else None

    moves, latency = pooled("move_ms", True), pooled("latency_ms", True)
    again = pooled("latency_again_ms", True)
    plain_sps, scrub_sps = pooled("samples_per_s", False), pooled("samples_per_s", True)
    out = {
        "hidden": args.hidden,
        "epochs": args.epochs,
        "rounds": args.rounds,
        "move_every_ms": MOVE_MS,
        "tick_ms": TICK_MS,
        "worst_stall_ms": {"plain": worst(False), "scrubbed": worst(True)},
        "gap_p99_ms": {
            "plain": max((r["gap_p99_ms"] or 0) for r in rounds if not r["scrubbed"]),
            "scrubbed": max((r["gap_p99_ms"] or 0) for r in rounds if r["scrubbed"]),
        },
        "moves": len(moves),
        "move_ms_median": statistics.median(moves) if moves else None,
        "move_ms_worst": max(moves) if moves else None,
        "latency_ms_median": statistics.median(latency) if latency else None,
        "latency_ms_worst": max(latency) if latency else None,
        "latencies": len(latency),
        "latency_again_ms_median": statistics.median(again) if again else None,
        "latencies_again": len(again),
        "samples_per_s": {
            "plain": statistics.median(plain_sps) if plain_sps else None,
            "scrubbed": statistics.median(scrub_sps) if scrub_sps else None,
        },
        "all_finished": all(r["finished"] for r in rounds),
        "rounds_detail": [
            {k: v for k, v in r.items() if k not in ("move_ms", "samples_per_s")} for r in rounds
        ],
    }
    print("SCRUBPROBE " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
