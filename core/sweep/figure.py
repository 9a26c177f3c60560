"""What the sweep's figure shows, worked out without drawing anything.

Two swept settings (or one, each with at most eight values) give a heatmap of
mean validation accuracy, one cell per setting with its mean and spread over
seeds. More settings, or a random search's continuous values, give a
parallel-coordinates plot: one vertical axis per setting and a last one for
validation accuracy, one line per setting coloured by that accuracy, the best
drawn last.

The core decides the layout (cells, axes, positions and labels); the drawing is
done where the command line's training pictures are drawn (``gui.shared.figures``), so
the PNG the command line writes and the figure in the window are one picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.sweep.results import LABELS, Group, format_value, varying

#: A heatmap needs few enough values per setting for its cells to hold their text.
MAX_HEATMAP_VALUES = 8


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Mean validation accuracy per (row value, column value); NaN where nothing ran.

    ``mean`` and ``std`` are ``(rows, cols)``; ``row_name`` is None when only one
    setting varies (a single row). ``lo`` and ``hi`` span the colour scale;
    ``spread`` says whether settings ran with several seeds (a std worth showing).
    """

    title: str
    row_name: str | None
    col_name: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    lo: float
    hi: float
    spread: bool


@dataclass(frozen=True, slots=True)
class Parallel:
    """One vertical axis per swept setting plus validation accuracy, one line per setting.

    ``ticks[i]`` are ``(position, label)`` pairs on axis ``i`` (0 bottom, 1 top);
    ``lines`` are ``(positions, t)``: a position per axis and the line's place
    ``t`` in [0, 1] on the accuracy scale, worst first so the best is drawn last.
    """

    title: str
    axis_labels: tuple[str, ...]
    ticks: tuple[tuple[tuple[float, str], ...], ...]
    lines: tuple[tuple[tuple[float, ...], float], ...]
    lo: float
    hi: float


SweepFigure = Heatmap | Parallel


def sweep_figure(groups: Sequence[Group]) -> SweepFigure | None:
    """The figure of a sweep's summary groups, or None when no setting varies."""
    names = varying(groups)
    if not names:
        return None
    if len(names) <= 2 and all(len(_sorted_values(groups, n)) <= MAX_HEATMAP_VALUES for n in names):
        return _heatmap(groups, names)
    return _parallel(groups, names)


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _label(value: Any) -> str:
    return format_value(list(value) if isinstance(value, tuple) else value)


def _sorted_values(groups: Sequence[Group], name: str | None) -> list[Any]:
    values = {_key(g.setting.get(name)) for g in groups} if name else {None}
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _span(groups: Sequence[Group]) -> tuple[float, float]:
    accs = [g.val_acc for g in groups if math.isfinite(g.val_acc)]
    return (min(accs), max(accs)) if accs else (0.0, 1.0)


def _title(groups: Sequence[Group], what: str) -> str:
    seeds = sorted({len(g.seeds) for g in groups})
    n = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    return f"Validation accuracy: {what} over {n} seed(s)"


def _heatmap(groups: Sequence[Group], names: list[str]) -> Heatmap:
    col_name = names[-1]
    row_name = names[0] if len(names) == 2 else None
    cols, rows = _sorted_values(groups, col_name), _sorted_values(groups, row_name)
    mean = np.full((len(rows), len(cols)), np.nan)
    std = np.full_like(mean, np.nan)
    where = {(r, c): (i, j) for i, r in enumerate(rows) for j, c in enumerate(cols)}
    for g in groups:
        r = _key(g.setting.get(row_name)) if row_name else None
        i, j = where[(r, _key(g.setting.get(col_name)))]
        mean[i, j], std[i, j] = g.val_acc, g.val_acc_std
    lo, hi = _span(groups)
    spread = any(len(g.seeds) > 1 for g in groups)
    return Heatmap(
        title=_title(groups, "mean ± std" if spread else "mean"),
        row_name=row_name,
        col_name=col_name,
        row_labels=tuple(_label(r) for r in rows) if row_name else ("",),
        col_labels=tuple(_label(c) for c in cols),
        mean=mean,
        std=std,
        lo=lo,
        hi=hi,
        spread=spread,
    )


def _axis_positions(groups: Sequence[Group], name: str) -> tuple[dict[Any, float], list[Any]]:
    """Where each value sits on its axis (0 bottom .. 1 top) and which values to label."""
    values = _sorted_values(groups, name)
    numeric = all(isinstance(v, (int, float)) for v in values)
    if len(values) == 1:
        return {values[0]: 0.5}, values
    if numeric and len(values) > 6:
        log = name in ("learning_rate", "hidden", "batch_size") and min(values) > 0
        f = math.log if log else float
        lo, hi = f(min(values)), f(max(values))
        pos = {v: (f(v) - lo) / (hi - lo) for v in values}
        return pos, [values[0], values[len(values) // 2], values[-1]]
    return {v: i / (len(values) - 1) for i, v in enumerate(values)}, values


def _parallel(groups: Sequence[Group], names: list[str]) -> Parallel:
    axes = [_axis_positions(groups, n) for n in names]
    lo, hi = _span(groups)
    span = hi - lo if hi > lo else 1.0
    finite = sorted((g for g in groups if math.isfinite(g.val_acc)), key=lambda g: g.val_acc)
    lines = []
    for g in finite:
        t = (g.val_acc - lo) / span
        points = tuple(pos[_key(g.setting.get(n))] for n, (pos, _) in zip(names, axes, strict=True))
        lines.append(((*points, t), t))
    ticks = [tuple((pos[v], _label(v)) for v in shown) for pos, shown in axes]
    ticks.append(((1.0, f"{hi:.4f}"), (0.0, f"{lo:.4f}")))
    return Parallel(
        title=_title(groups, "mean"),
        axis_labels=(*(LABELS.get(n, n) for n in names), "val acc"),
        ticks=tuple(ticks),
        lines=tuple(lines),
        lo=lo,
        hi=hi,
    )
