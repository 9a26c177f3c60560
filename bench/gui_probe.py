"""Training inside the studio window versus headless, in one fresh process.

Run as ``python -m bench.gui_probe --hidden H --epochs E --rounds R [--data DIR]``
(the gui section does that); prints one ``GUIPROBE {json}`` line. Rounds alternate
a headless run (the same ``Trainer`` consumed in this thread, no window) and a run
started from a shown ``MainWindow`` with every view live (Qt offscreen). Training
throughput is each ``EpochReport.samples_per_s``. While the window trains, a
10 ms ``QTimer`` in the GUI thread records the gaps between its ticks: the worst
gap is the longest the window could not react.
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
    from core.control import TrainingControl
    from core.events import EpochReport
    from core.trainer import Trainer

    trainer = Trainer(config, dataset, TrainingControl())
    return [ev.samples_per_s for ev in trainer.run() if isinstance(ev, EpochReport)]


def window_round(config, timeout_s: float) -> dict[str, Any]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from gui.main_window import MainWindow

    window = MainWindow(config, preload=False)
    window.show()
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
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from core.config import Config
    from core.data import load_dataset

    app = QApplication.instance() or QApplication([])
    config = Config(dataset=args.dataset, data_path=args.data, hidden=(args.hidden,),
                    batch_size=args.batch, epochs=args.epochs, learning_rate=0.1, seed=0)
    dataset = load_dataset(args.dataset, path=args.data, seed=0)
    headless, windowed = [], []
    for _ in range(args.rounds):
        headless.append(headless_round(config, dataset))
        windowed.append(window_round(config, timeout_s=60 + 30 * args.epochs))
        app.processEvents()
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
    }
    out["ratio"] = out["window_samples_per_s"] / out["headless_samples_per_s"]
    print("GUIPROBE " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
