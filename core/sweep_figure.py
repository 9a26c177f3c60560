"""The sweep's picture, drawn with NumPy and written as a PNG: no plotting library needed.

Two swept settings (or one) give a heatmap of mean validation accuracy, one cell
per setting with its mean and spread over seeds. More settings, or a random
search's continuous values, give a parallel-coordinates plot: one vertical axis
per setting and a last one for validation accuracy, one line per setting coloured
by that accuracy, the best drawn last and thickest.

The core cannot use Qt, and a sweep often runs where there is no display; so the
figure is rasterised here with a small canvas (rectangles, lines, a 5x7 bitmap
font) and encoded by a minimal PNG writer (zlib).
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BackpropError
from core.sweep_results import LABELS, Group, format_value, varying

# 5x7 glyphs: seven rows, five bits each (bit 4 is the leftmost pixel), as hex bytes.
_FONT = {
    "0": "0e11131519110e", "1": "040c040404040e", "2": "0e11010204081f", "3": "1f02040201110e",
    "4": "02060a121f0202", "5": "1f101e0101110e", "6": "0608101e11110e", "7": "1f010204080808",
    "8": "0e11110e11110e", "9": "0e11110f01020c", "A": "0e11111f111111", "B": "1e11111e11111e",
    "C": "0e11101010110e", "D": "1c12111111121c", "E": "1f10101e10101f", "F": "1f10101e101010",
    "G": "0e11101711110f", "H": "1111111f111111", "I": "0e04040404040e", "J": "0702020202120c",
    "K": "11121418141211", "L": "1010101010101f", "M": "111b1515111111", "N": "11111915131111",
    "O": "0e11111111110e", "P": "1e11111e101010", "Q": "0e11111115120d", "R": "1e11111e141211",
    "S": "0f10100e01011e", "T": "1f040404040404", "U": "1111111111110e", "V": "11111111110a04",
    "W": "1111111515150a", "X": "11110a040a1111", "Y": "11110a04040404", "Z": "1f01020408101f",
    ".": "00000000000c0c", ",": "000000000c0408", "-": "0000001f000000", "+": "0004041f040400",
    "±": "04041f0404001f", ":": "000c0c000c0c00", "=": "00001f001f0000", "%": "18190204081303",
    "(": "02040808080402", ")": "08040202020408", "/": "00010204081000", "_": "0000000000001f",
    " ": "00000000000000",
}
_GLYPHS = {
    ch: np.array([[(int(h[2 * r : 2 * r + 2], 16) >> (4 - c)) & 1 for c in range(5)]
                  for r in range(7)], dtype=bool)
    for ch, h in _FONT.items()
}

# Viridis, sampled at nine points and interpolated: readable and colour-blind safe.
_VIRIDIS = np.array([
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
], dtype=float)

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (20, 20, 20), (120, 120, 120), (225, 225, 225)
SCALE = 2  # font pixels per glyph pixel
CHAR_W, CHAR_H = 6 * SCALE, 7 * SCALE


def colour(t: float) -> tuple[int, int, int]:
    """Viridis colour for ``t`` in [0, 1]."""
    t = 0.0 if not math.isfinite(t) else min(max(t, 0.0), 1.0)
    x = t * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    c = _VIRIDIS[i] + (x - i) * (_VIRIDIS[i + 1] - _VIRIDIS[i])
    return int(c[0]), int(c[1]), int(c[2])


class Canvas:
    """An RGB image ``(height, width, 3)`` uint8 with just what a chart needs."""

    def __init__(self, width: int, height: int) -> None:
        self.rgb = np.full((height, width, 3), 255, dtype=np.uint8)

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    def rect(self, x: int, y: int, w: int, h: int, fill: tuple[int, int, int]) -> None:
        self.rgb[max(y, 0) : max(y + h, 0), max(x, 0) : max(x + w, 0)] = fill

    def line(self, x0: float, y0: float, x1: float, y1: float,
             fill: tuple[int, int, int], width: int = 1) -> None:
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        xs = np.rint(np.linspace(x0, x1, n)).astype(int)
        ys = np.rint(np.linspace(y0, y1, n)).astype(int)
        lo, hi = -(width // 2), width - width // 2
        h, w = self.rgb.shape[:2]
        for dy in range(lo, hi):
            for dx in range(lo, hi):
                yy, xx = ys + dy, xs + dx
                ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                self.rgb[yy[ok], xx[ok]] = fill

    def text(self, x: int, y: int, text: str, fill: tuple[int, int, int] = BLACK,
             align: str = "left", background: tuple[int, int, int] | None = None) -> None:
        """Upper-case text with its top at ``y``; ``align`` left, center or right of ``x``."""
        text = text.upper()
        width = text_width(text)
        x0 = x - width // 2 if align == "center" else x - width if align == "right" else x
        if background is not None:
            self.rect(x0 - 3, y - 3, width + 6, CHAR_H + 6, background)
        for i, ch in enumerate(text):
            glyph = _GLYPHS.get(ch, _GLYPHS["_"])
            big = np.kron(glyph, np.ones((SCALE, SCALE), dtype=bool))
            gx = x0 + i * CHAR_W
            region = self.rgb[y : y + big.shape[0], gx : gx + big.shape[1]]
            if region.shape[:2] == big.shape:
                region[big] = fill


def text_width(text: str) -> int:
    return max(len(text) * CHAR_W - SCALE, 0)


def write_png(path: str | os.PathLike, rgb: np.ndarray) -> None:
    """Write an RGB uint8 image ``(height, width, 3)`` as an 8-bit PNG."""
    h, w, _ = rgb.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )
    Path(path).write_bytes(png)


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _sorted_values(groups: Sequence[Group], name: str) -> list[Any]:
    values = {_key(g.setting.get(name)) for g in groups}
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def draw_figure(groups: Sequence[Group]) -> np.ndarray | None:
    """The sweep's figure as an RGB array, or None when no setting varies."""
    names = varying(groups)
    if not names:
        return None
    if len(names) <= 2 and all(len(_sorted_values(groups, n)) <= 8 for n in names):
        return _heatmap(groups, names)
    return _parallel(groups, names)


def save_figure(groups: Sequence[Group], path: str | os.PathLike) -> bool:
    """Draw the figure into a PNG at ``path``; False when there is nothing to draw."""
    rgb = draw_figure(groups)
    if rgb is None:
        return False
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_png(path, rgb)
    except OSError as e:
        raise BackpropError(f"{path}: cannot write the plot ({e})") from e
    return True


def _title(groups: Sequence[Group], what: str) -> str:
    seeds = sorted({len(g.seeds) for g in groups})
    n = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    return f"validation accuracy: {what} over {n} seed(s)"


def _heatmap(groups: Sequence[Group], names: list[str]) -> np.ndarray:
    col_name = names[-1]
    row_name = names[0] if len(names) == 2 else None
    cols = _sorted_values(groups, col_name)
    rows = _sorted_values(groups, row_name) if row_name else [None]
    cell = {(_key(g.setting.get(row_name)) if row_name else None,
             _key(g.setting.get(col_name))): g for g in groups}
    accs = [g.val_acc for g in groups if math.isfinite(g.val_acc)]
    lo, hi = (min(accs), max(accs)) if accs else (0.0, 1.0)
    row_labels = [format_value(list(r) if isinstance(r, tuple) else r) for r in rows]
    col_labels = [format_value(list(c) if isinstance(c, tuple) else c) for c in cols]
    cw = max(text_width("0.0000"), *(text_width(s) for s in col_labels)) + 24
    ch = 2 * CHAR_H + 26
    left = 24 + (max(text_width(s) for s in row_labels) + 16 if row_name else 0)
    left = max(left, 24 + (CHAR_H + 12 if row_name else 0))
    top = 2 * CHAR_H + 40
    title = _title(groups, "mean ± std")
    width = max(left + cw * len(cols) + 24, text_width(title) + 48)
    left += (width - (left + cw * len(cols) + 24)) // 2  # centre the grid under the title
    height = top + ch * len(rows) + 3 * CHAR_H + 20
    c = Canvas(width, height)
    c.text(width // 2, 12, title, align="center")
    for i, r in enumerate(rows):
        y = top + i * ch
        if row_name:
            c.text(left - 10, y + ch // 2 - CHAR_H // 2, row_labels[i], align="right")
        for j, col in enumerate(cols):
            x = left + j * cw
            g = cell.get((r, col))
            if g is None:
                c.rect(x + 1, y + 1, cw - 2, ch - 2, LIGHT)
                continue
            t = (g.val_acc - lo) / (hi - lo) if hi > lo else 1.0
            fill = colour(t)
            c.rect(x + 1, y + 1, cw - 2, ch - 2, fill)
            ink = BLACK if sum(fill) > 380 else WHITE
            c.text(x + cw // 2, y + 8, f"{g.val_acc:.4f}", ink, align="center")
            c.text(x + cw // 2, y + 12 + CHAR_H, f"±{g.val_acc_std:.4f}", ink, align="center")
    bottom = top + ch * len(rows) + 8
    for j, label in enumerate(col_labels):
        c.text(left + j * cw + cw // 2, bottom, label, align="center")
    c.text(left + cw * len(cols) // 2, bottom + CHAR_H + 8, LABELS.get(col_name, col_name),
           GREY, align="center")
    if row_name:
        c.text(left - 10, top - CHAR_H - 6, LABELS.get(row_name, row_name), GREY, align="right")
    return c.rgb


def _axis_positions(groups: Sequence[Group], name: str) -> tuple[dict[Any, float], list[Any]]:
    """Where each value sits on its axis (0 bottom .. 1 top) and which values to label."""
    values = _sorted_values(groups, name)
    numeric = all(isinstance(v, (int, float)) for v in values)
    if len(values) == 1:
        return {values[0]: 0.5}, values
    if numeric and len(values) > 6:
        log = name in ("learning_rate", "hidden", "batch_size") and min(values) > 0
        f = (lambda v: math.log(v)) if log else float
        lo, hi = f(min(values)), f(max(values))
        pos = {v: (f(v) - lo) / (hi - lo) for v in values}
        return pos, [values[0], values[len(values) // 2], values[-1]]
    return {v: i / (len(values) - 1) for i, v in enumerate(values)}, values


def _parallel(groups: Sequence[Group], names: list[str]) -> np.ndarray:
    axes = [_axis_positions(groups, n) for n in names]
    accs = [g.val_acc for g in groups if math.isfinite(g.val_acc)]
    lo, hi = (min(accs), max(accs)) if accs else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    labels = [LABELS.get(n, n) for n in names] + ["val acc"]
    gap = max(150, max(text_width(s) for s in labels) + 30)
    first = [format_value(list(v) if isinstance(v, tuple) else v) for v in axes[0][1]]
    left = max(90, max(text_width(s) for s in first) + 24)
    top, plot_h = 2 * CHAR_H + 40, 360
    title = _title(groups, "mean")
    width = max(left * 2 + gap * len(names), text_width(title) + 48)
    height = top + plot_h + 3 * CHAR_H + 16
    c = Canvas(width, height)
    c.text(width // 2, 12, title, align="center")
    xs = [left + i * gap for i in range(len(names) + 1)]

    def y_of(p: float) -> float:
        return top + (1.0 - p) * plot_h

    for x in xs:
        c.line(x, top, x, top + plot_h, GREY, 2)
    order = sorted(
        (g for g in groups if math.isfinite(g.val_acc)), key=lambda g: g.val_acc
    )
    for rank, g in enumerate(order):
        t = (g.val_acc - lo) / span
        points = [y_of(pos[_key(g.setting.get(n))]) for n, (pos, _) in zip(names, axes,
                                                                           strict=True)]
        points.append(y_of(t))
        best = rank == len(order) - 1
        for i in range(len(points) - 1):
            c.line(xs[i], points[i], xs[i + 1], points[i + 1], colour(t), 4 if best else 2)
    for x, label in zip(xs, labels, strict=True):
        c.text(x, top + plot_h + 12, label, GREY, align="center")
    for x, (pos, shown) in zip(xs, axes, strict=False):
        for v in shown:
            text = format_value(list(v) if isinstance(v, tuple) else v)
            c.text(x - 8, int(y_of(pos[v])) - CHAR_H // 2, text, align="right",
                   background=WHITE)
    for value, p in ((hi, 1.0), (lo, 0.0)):
        c.text(xs[-1] + 10, int(y_of(p)) - CHAR_H // 2, f"{value:.4f}")
    return c.rgb
