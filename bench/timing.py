"""Interleaved repetitions and medians: the only timings that mean anything on a shared box."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def interleaved(
    runs: Mapping[str, Callable[[], object]], reps: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds of each call, ``reps`` rounds, every round calling each once.

    The order rotates from round to round, so a burst of load from elsewhere on the
    machine hits every contestant alike instead of one unlucky position.
    ``warmup`` untimed rounds come first (caches, BLAS thread start, page faults).
    """
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> float:
    """Relative half-range of the middle values, a rough noise figure for the table."""
    if len(values) < 3:
        return 0.0
    s = sorted(values)
    lo, hi = s[len(s) // 4], s[-1 - len(s) // 4]
    return (hi - lo) / (2 * statistics.median(s))
