"""Training inside the studio window versus headless, in one fresh process.

Run as ``python -m bench.gui_probe --hidden H --epochs E --rounds R [--data DIR]``
(the gui section does that); prints one ``GUIPROBE {json}`` line. Rounds alternate
a headless run (the same ``Trainer`` consumed in this thread, no window) and a run
started from a shown ``MainWindow`` with every view live (Qt offscreen), starting
and ending headless. Training throughput is each ``EpochReport.samples_per_s``; the
ratio is the median, over windowed rounds, of a round's median over the mean of
the two headless rounds around it. While the window trains, a
10 ms ``QTimer`` in the GUI thread records the gaps between its ticks: the worst
gap is the longest the window could not react.

With ``--tab inside`` the Inside tab is shown while the window trains, so every
snapshot is traced again (in its worker) and drawn: the rounds then also report
each trace's time in the worker (with its pictures), the GUI thread's time drawing
each new trace (``InsideView._draw_traced``, showing the dW1 step, the one with the
most pictures) and, once training is over, the time to show each step (its
pictures set, the window repainted at once).

With ``--diagnose`` it instead runs one windowed round in which every event the
GUI thread handles (paints, queued signals, timers) and every view's ``_on_*``
slot is timed, and reports the slowest: where a stall comes from. The timing
itself slows the window, so those rounds are never used for the figures above.
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


def headless_round(config, dataset) -> list[float]:
    from core.training.control import TrainingControl
    from core.training.events import EpochReport
    from core.training.trainer import Trainer

    trainer = Trainer(config, dataset, TrainingControl())
    return [ev.samples_per_s for ev in trainer.run() if isinstance(ev, EpochReport)]


def window_round(config, timeout_s: float, tab: str | None = None) -> dict[str, Any]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from gui.main_window import MainWindow

    inside: dict[str, Any] = {}
    if tab == "inside":
        restore = time_inside_draws(inside)
    window = MainWindow(config, preload=False)
    window.show()
    if tab == "inside":
        follow_inside(window, inside)
    reports, ticks, span = [], [], {}
    window.bus.epoch.connect(lambda ev: reports.append(ev))
    window.bus.started.connect(lambda _ev: span.setdefault("start", time.perf_counter()))
    loop = QEventLoop()
    window.bus.finished.connect(lambda _ev: loop.quit())
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(TICK_MS)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    window.start()
    loop.exec()
    end = time.perf_counter()
    timer.stop()
    finished = guard.isActive()
    guard.stop()
    if tab == "inside":
        inside["step_draw_ms"] = time_inside_steps(window)
        restore()
    window.close()
    window.deleteLater()
    start = span.get("start", end)
    during = [t for t in ticks if start <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    return {
        "samples_per_s": [ev.samples_per_s for ev in reports],
        "architecture": list(reports[-1].architecture) if reports else None,
        "finished": finished,
        "gaps_ms": sorted((g * 1000 for g in gaps), reverse=True)[:20],
        "ticks": len(gaps),
        "training_s": end - start,
        "inside": inside or None,
    }


def time_inside_draws(inside: dict[str, Any]):
    """Time every ``InsideView._draw_traced`` (the GUI thread drawing a new trace) into
    ``inside["draw_ms"]``; returns the function that undoes the wrapping."""
    from gui.views.inside import InsideView

    original = InsideView._draw_traced
    inside["draw_ms"] = []

    def timed(self, result):
        t0 = time.perf_counter()
        try:
            return original(self, result)
        finally:
            inside["draw_ms"].append((time.perf_counter() - t0) * 1000)

    InsideView._draw_traced = timed

    def restore() -> None:
        InsideView._draw_traced = original

    return restore


def follow_inside(window, inside: dict[str, Any]) -> None:
    """Show the Inside tab; from the first trace on, stay on the dW1 step; record trace times."""
    view = window.inside
    window.tabs.setCurrentWidget(view)
    inside["trace_ms"] = []

    def on_traced(result) -> None:
        inside["trace_ms"].append(result.seconds * 1000)
        if len(inside["trace_ms"]) == 1:
            symbols = [p.step.symbol for p in result.pictures]
            view.walker.go(symbols.index("dW1"))

    view.tracer.traced.connect(on_traced)


def time_inside_steps(window, timeout_s: float = 30.0) -> dict[str, float]:
    """Milliseconds to show each step of the last trace: its pictures set and painted.

    The last snapshot's trace may still be in the worker when training ends: it is
    waited for first.
    """
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while window.inside.tracer.busy and time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    QApplication.processEvents()
    walker, out = window.inside.walker, {}
    for i in range(walker.count):
        t0 = time.perf_counter()
        walker.go(i)
        QApplication.sendPostedEvents()
        window.repaint()
        out[walker.current_step().equation] = (time.perf_counter() - t0) * 1000
    return out


class Stopwatch:
    """Per-name count, total and worst duration of timed calls."""

    def __init__(self) -> None:
        self.stats: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        s = self.stats.setdefault(name, [0, 0.0, 0.0])
        s[0] += 1
        s[1] += seconds
        s[2] = max(s[2], seconds)

    def worst(self, n: int = 8) -> list[dict[str, Any]]:
        ranked = sorted(self.stats.items(), key=lambda kv: -kv[1][2])[:n]
        return [
            {
                "what": k,
                "calls": int(c),
                "total_ms": round(t * 1000, 1),
                "worst_ms": round(w * 1000, 1),
            }
            for k, (c, t, w) in ranked
        ]


def timing_app(watch: Stopwatch):
    """A QApplication whose ``notify`` times every event it delivers in the GUI thread."""
    from PySide6.QtWidgets import QApplication

    class TimingApp(QApplication):
        def notify(self, receiver, event):
            t0 = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                watch.add(
                    f"{type(receiver).__name__} {event.type().name}", time.perf_counter() - t0
                )

    return TimingApp([])


def time_view_slots(watch: Stopwatch) -> None:
    """Wrap every ``_on_*`` method of the gui package's classes with a timer."""
    import functools
    import inspect
    import sys

    import gui.main_window  # noqa: F401  (imports every view)

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                watch.add(name, time.perf_counter() - t0)

        return wrapper

    for modname, module in list(sys.modules.items()):
        if not modname.startswith("gui.") or module is None:
            continue
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != modname:
                continue
            for attr, fn in list(vars(cls).items()):
                if attr.startswith("_on_") and inspect.isfunction(fn):
                    setattr(cls, attr, timed(f"{cls_name}.{attr}", fn))


def diagnose(config, timeout_s: float, tab: str | None = None) -> dict[str, Any]:
    events, slots = Stopwatch(), Stopwatch()
    app = timing_app(events)
    time_view_slots(slots)
    result = window_round(config, timeout_s, tab)
    app.processEvents()
    return {
        "hidden": config.hidden[0],
        "worst_gap_ms": result["gaps_ms"][:1],
        "slowest_events": events.worst(),
        "slowest_slots": slots.worst(),
    }


def main(argv: list[str] | None = None) -> None:
    from bench.context import scratch_runs

    with scratch_runs():
        probe(argv)


def probe(argv: list[str] | None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--data", default=None)
    p.add_argument("--diagnose", action="store_true", help="time every GUI-thread event")
    p.add_argument("--tab", choices=("inside",), help="show this tab while the window trains")
    args = p.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from core.data import load_dataset
    from core.training.config import Config

    config = Config(
        dataset=args.dataset,
        data_path=args.data,
        hidden=(args.hidden,),
        batch_size=args.batch,
        epochs=args.epochs,
        learning_rate=0.1,
        seed=0,
    )
    if args.diagnose:
        out = diagnose(config, timeout_s=60 + 30 * args.epochs, tab=args.tab)
        print("GUIPROBE " + json.dumps(out), flush=True)
        return
    app = QApplication.instance() or QApplication([])
    dataset = load_dataset(args.dataset, path=args.data, seed=0)
    # H W H W ... H: every windowed round sits between two headless ones, so a machine
    # that speeds up or slows down over the run (shared CPUs do) shifts both sides.
    headless, windowed = [headless_round(config, dataset)], []
    for _ in range(args.rounds):
        windowed.append(window_round(config, timeout_s=60 + 30 * args.epochs, tab=args.tab))
        app.processEvents()
        headless.append(headless_round(config, dataset))
    pair_ratios = [
        statistics.median(w["samples_per_s"])
        / ((statistics.median(before) + statistics.median(after)) / 2)
        for w, before, after in zip(windowed, headless, headless[1:], strict=False)
        if w["samples_per_s"] and before and after
    ]
    head_sps = [s for r in headless for s in r]
    gui_sps = [s for r in windowed for s in r["samples_per_s"]]
    worst = [r["gaps_ms"][0] for r in windowed if r["gaps_ms"]]
    all_gaps = sorted((g for r in windowed for g in r["gaps_ms"]), reverse=True)
    out = {
        "hidden": args.hidden,
        "batch": args.batch,
        "epochs": args.epochs,
        "rounds": args.rounds,
        "headless_samples_per_s": statistics.median(head_sps),
        "window_samples_per_s": statistics.median(gui_sps) if gui_sps else 0.0,
        "headless_all": head_sps,
        "window_all": gui_sps,
        "worst_stall_ms": max(worst) if worst else None,
        "worst_stall_per_round_ms": worst,
        "longest_gaps_ms": all_gaps[:10],
        "tick_ms": TICK_MS,
        "architecture": windowed[-1]["architecture"],
        "all_finished": all(r["finished"] for r in windowed),
        "tab": args.tab,
    }
    if args.tab == "inside":
        out["inside"] = inside_summary([r["inside"] for r in windowed])
    out["pooled_ratio"] = out["window_samples_per_s"] / out["headless_samples_per_s"]
    out["round_ratios"] = pair_ratios
    out["ratio"] = statistics.median(pair_ratios) if pair_ratios else out["pooled_ratio"]
    print("GUIPROBE " + json.dumps(out), flush=True)


def inside_summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The Inside tab's costs over the windowed rounds: medians and worsts."""
    traces = [t for r in rounds for t in r["trace_ms"]]
    draws = [d for r in rounds for d in r["draw_ms"]]
    steps: dict[str, list[float]] = {}
    for r in rounds:
        for equation, ms in r["step_draw_ms"].items():
            steps.setdefault(equation, []).append(ms)
    worst_step = max(steps.items(), key=lambda kv: max(kv[1]), default=("", [0.0]))
    return {
        "traces": len(traces),
        "trace_ms_median": statistics.median(traces) if traces else None,
        "trace_ms_max": max(traces, default=None),
        "draw_ms_median": statistics.median(draws) if draws else None,
        "draw_ms_max": max(draws, default=None),
        "step_draw_ms_median": {k: statistics.median(v) for k, v in steps.items()},
        "worst_step": worst_step[0],
        "worst_step_ms": max(worst_step[1]),
    }


if __name__ == "__main__":
    main()
