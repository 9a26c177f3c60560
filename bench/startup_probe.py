"""Run ``main.py`` as a person would and report when its window first reaches the screen.

Run as ``python -m bench.startup_probe [main.py options]`` in a fresh process (the
startup section does that). Before handing over to ``main.py`` it wraps the main
window's ``showEvent`` and ``paintEvent`` so that the first paint prints one JSON line
(CLOCK_MONOTONIC seconds, comparable with the parent's ``time.monotonic()``, plus
this process's own time since it started) and ends the process at once. Nothing
else of the start-up path changes: the imports, the window and its first layout
are the real ones.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time

from bench.context import ROOT


def _process_age() -> float:
    """Seconds since this process started (from /proc; the interpreter's start included)."""
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            boot = float(f.read().split()[0])
        return boot - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def install_hooks() -> None:
    import gui.main_window as main_window

    cls = main_window.MainWindow
    marks: dict[str, float] = {}
    original_show, original_paint = cls.showEvent, cls.paintEvent

    def show_event(self, event):
        marks.setdefault("shown", time.monotonic())
        original_show(self, event)

    def paint_event(self, event):
        original_paint(self, event)
        if "painted" not in marks:
            marks["painted"] = time.monotonic()
            marks["age_at_paint"] = _process_age()
            print("STARTUP " + json.dumps(marks), flush=True)
            os._exit(0)  # measured: no need to wait for the dataset loading behind it

    cls.showEvent, cls.paintEvent = show_event, paint_event


def main() -> None:
    sys.argv = [str(ROOT / "main.py"), *sys.argv[1:]]
    install_hooks()
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")


if __name__ == "__main__":
    main()
