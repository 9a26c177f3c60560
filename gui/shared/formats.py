"""Numbers as the window writes them, the same in every view.

A learning rate reads on a change marker exactly as the slider shows it; a time
left reads on the headline card as under the progress bar.
"""

from __future__ import annotations

from typing import Any

from core import text

#: How a change marker names a setting.
SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "hidden": "hidden"}


def format_lr(lr: float) -> str:
    """``0.1``, ``0.0032``, ``1.5e-04``: two significant digits, readable at a glance."""
    return f"{lr:.2g}" if lr >= 1e-3 else f"{lr:.1e}"


def format_setting(name: str, value: Any) -> str:
    """A setting's value as its control shows it: ``0.01``, ``128``, ``784-128-10``."""
    if name == "learning_rate" and isinstance(value, (int, float)):
        return format_lr(float(value))
    return text.value(value, digits=3)


def format_duration(seconds: float | None) -> str:
    """``42 s``, ``3:07``, ``1:02:03``; an em dash when unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 360_000:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_rate(samples_per_s: float) -> str:
    """Throughput for people: ``12,300 samples/s``."""
    return f"{samples_per_s:,.0f} samples/s"


def format_percent(share: float | None, digits: int = 2) -> str:
    """``95.58%``; an em dash when unknown."""
    if share is None or share != share:
        return "—"
    return f"{100.0 * share:.{digits}f}%"
