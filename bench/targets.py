"""The performance budgets, each checked against a figure from the results.

A target is a ratio or a time measured within one run, a limit, and the direction
that counts as holding. :func:`evaluate` returns one row per target whose figure
is present (a section that did not run leaves its targets out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Sections = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Target:
    what: str
    limit: float
    at_most: bool  # True: holds when value <= limit; False: when value >= limit
    unit: str
    figure: Callable[[Sections], float | None]


def speed_ratio(key: str, hidden: int = 128, batch: int = 128) -> Callable[[Sections], Any]:
    def get(s: Sections) -> float | None:
        for row in s.get("speed", {}).get("rows", []):
            if row["hidden"] == hidden and row["batch"] == batch:
                return row["ratios"].get(key)
        return None

    return get


def gui_figure(key: str, hidden: int) -> Callable[[Sections], Any]:
    def get(s: Sections) -> float | None:
        for row in s.get("gui", {}).get("rows", []):
            if row["hidden"] == hidden:
                return row.get(key)
        return None

    return get


def inside_figure(key: str, hidden: int) -> Callable[[Sections], Any]:
    def get(s: Sections) -> float | None:
        for row in s.get("inside", {}).get("rows", []):
            if row["hidden"] == hidden:
                return row.get(key, (row.get("inside") or {}).get(key))
        return None

    return get


def trace_ms(hidden: tuple[int, ...], key: str = "trace") -> Callable[[Sections], Any]:
    """Milliseconds of one ``key`` call at the network with these hidden widths."""

    def get(s: Sections) -> float | None:
        for row in s.get("trace", {}).get("rows", []):
            if tuple(row["hidden"]) == hidden:
                seconds = row["seconds"].get(key)
                return None if seconds is None else 1000 * seconds
        return None

    return get


def path(*keys: str) -> Callable[[Sections], Any]:
    def get(s: Sections) -> Any:
        node: Any = s
        for k in keys:
            if not isinstance(node, dict) or k not in node:
                return None
            node = node[k]
        return node

    return get


def folder_figure(key: str, kind: str = "digits") -> Callable[[Sections], Any]:
    def get(s: Sections) -> float | None:
        for row in s.get("imagefolder", {}).get("rows", []):
            if row["kind"] == kind and row["n"] >= 5000:
                return row.get(key)
        return None

    return get


def _reached(acc: dict[str, Any] | None) -> float | None:
    """Seconds to the target accuracy; infinite when the run never got there."""
    if not acc or "fast" not in acc:
        return None
    seconds = acc["fast"].get("reached_s")
    return float("inf") if seconds is None else seconds


TARGETS = (
    Target(
        "Trainer epoch / minimal NumPy loop (784-128-10, b128)",
        1.05,
        True,
        "x",
        speed_ratio("trainer / numpy"),
    ),
    Target(
        "Trainer epoch / minimal NumPy loop, stretch aim",
        0.90,
        True,
        "x",
        speed_ratio("trainer / numpy"),
    ),
    Target(
        "Trainer epoch / PyTorch eager (784-128-10, b128)",
        0.75,
        True,
        "x",
        speed_ratio("trainer / pytorch"),
    ),
    Target(
        "Trainer epoch / matmul floor (784-128-10, b128)",
        1.30,
        True,
        "x",
        speed_ratio("trainer / matmul floor"),
    ),
    Target("Window samples/s / headless (784-128-10)", 0.95, False, "x", gui_figure("ratio", 128)),
    Target(
        "Window samples/s / headless (784-1024-10)", 0.95, False, "x", gui_figure("ratio", 1024)
    ),
    Target(
        "GUI thread worst stall while training (hidden 1024)",
        50.0,
        True,
        "ms",
        gui_figure("worst_stall_ms", 1024),
    ),
    Target(
        "GUI thread worst stall, Inside tab following the run (hidden 1024)",
        50.0,
        True,
        "ms",
        inside_figure("worst_stall_ms", 1024),
    ),
    Target(
        "Inside tab: drawing a new trace in the GUI thread, worst (hidden 1024)",
        50.0,
        True,
        "ms",
        inside_figure("draw_ms_max", 1024),
    ),
    Target(
        "Trace one example (784-1024-1024-10, float32)",
        50.0,
        True,
        "ms",
        trace_ms((1024, 1024)),
    ),
    Target(
        "Trace one example while that network trains in another thread",
        50.0,
        True,
        "ms",
        trace_ms((1024, 1024), "trace while training"),
    ),
    Target(
        "Timeline recording: first MNIST epoch with / without (784-128-10)",
        1.03,
        True,
        "x",
        path("timeline", "overhead", "first_epoch_ratio"),
    ),
    Target(
        "Timeline recording: later epochs with / without (784-128-10)",
        1.03,
        True,
        "x",
        path("timeline", "overhead", "later_epoch_ratio"),
    ),
    Target(
        "Loss landscape: 25x25 grid, line and path (784-128-10)",
        10.0,
        True,
        "s",
        path("timeline", "landscape", "seconds"),
    ),
    Target("python main.py to window painted", 1.5, True, "s", path("startup", "window_painted_s")),
    Target("Image folder of 5,000 PNGs: first load", 10.0, True, "s", folder_figure("first_s")),
    Target("Image folder of 5,000 PNGs: from the cache", 1.0, True, "s", folder_figure("cached_s")),
    Target(
        "Training time to 97% test accuracy (preset fast)",
        5.0,
        True,
        "s",
        lambda s: _reached(s.get("accuracy")),
    ),
    Target(
        "Test accuracy within 10 minutes (preset best)",
        0.990,
        False,
        "",
        path("accuracy", "best_test_acc_in_budget"),
    ),
)


def evaluate(sections: Sections) -> list[dict[str, Any]]:
    """One row per target with a figure: what, value, limit, holds."""
    rows = []
    for t in TARGETS:
        try:
            value = t.figure(sections)
        except (KeyError, TypeError):
            value = None
        if value is None:
            continue
        holds = value <= t.limit if t.at_most else value >= t.limit
        rows.append(
            {
                "what": t.what,
                "value": value,
                "limit": t.limit,
                "op": "<=" if t.at_most else ">=",
                "unit": t.unit,
                "holds": holds,
            }
        )
    return rows
