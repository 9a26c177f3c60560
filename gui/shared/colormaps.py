"""Colour maps and pictures: what every view paints images with.

One diverging map (blue, neutral, red; centred on zero) for signed quantities such
as weights, one sequential map for counts, and the saliency overlay: the digit in
grey with red where brighter pixels would raise the class's score and blue where
they would lower it, more opaque where the effect is stronger. The maps follow the
scheme: on light panels zero is white and strong values are deep, on dark panels
zero is the panel's own colour and strong values are bright. Views that paint
with QPainter (tiles, sheets, keys) use the same 256-entry lookup tables as the
pyqtgraph image items, so both colour exactly alike.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from gui.shared import style

_STOPS = {
    "diverging": {
        "light": (
            (0.0, (5, 48, 97)),
            (0.2, (67, 147, 195)),
            (0.4, (186, 218, 235)),
            (0.5, (247, 247, 247)),
            (0.6, (250, 200, 175)),
            (0.8, (214, 96, 77)),
            (1.0, (103, 0, 31)),
        ),
        "dark": (
            (0.0, (165, 216, 255)),
            (0.2, (77, 171, 247)),
            (0.4, (38, 78, 120)),
            (0.5, (32, 36, 43)),
            (0.6, (125, 45, 45)),
            (0.8, (240, 101, 90)),
            (1.0, (255, 201, 190)),
        ),
    },
    "sequential": {
        "light": (
            (0.0, (247, 251, 255)),
            (0.25, (198, 219, 239)),
            (0.5, (107, 174, 214)),
            (0.75, (33, 113, 181)),
            (1.0, (8, 48, 107)),
        ),
        "dark": (
            (0.0, (32, 36, 43)),
            (0.25, (28, 66, 110)),
            (0.5, (34, 118, 196)),
            (0.75, (116, 192, 252)),
            (1.0, (220, 240, 255)),
        ),
    },
}
_MAPS: dict[tuple[str, str], pg.ColorMap] = {}
_LUTS: dict[tuple[str, str], np.ndarray] = {}

#: Saliency colours: red raises the class's score, blue lowers it.
RAISES, LOWERS = np.array([255, 70, 50], np.float32), np.array([40, 140, 255], np.float32)
#: Gradients below this share of the largest are not coloured: the digit shows through.
NOISE = 0.2


def _map(kind: str) -> pg.ColorMap:
    key = (kind, style.palette().scheme)
    if key not in _MAPS:
        stops = _STOPS[kind][key[1]]
        _MAPS[key] = pg.ColorMap(
            pos=np.array([s[0] for s in stops]),
            color=np.array([s[1] for s in stops], dtype=np.ubyte),
            name=f"studio-{kind}-{key[1]}",
        )
        _LUTS[key] = _MAPS[key].getLookupTable(0.0, 1.0, 256, alpha=False)
    return _MAPS[key]


def diverging() -> pg.ColorMap:
    """The diverging map of the scheme now applied (signed values, zero in the middle)."""
    return _map("diverging")


def sequential() -> pg.ColorMap:
    """The sequential map of the scheme now applied (counts: zero reads as nothing)."""
    return _map("sequential")


def lut(kind: str) -> np.ndarray:
    """``(256, 3)`` uint8 colours of the "diverging" or "sequential" map now applied."""
    _map(kind)
    return _LUTS[(kind, style.palette().scheme)]


def to_qimage(image: np.ndarray) -> QImage:
    """A QImage of a 2-D ``(h, w)`` image in [0, 1] (or an RGB ``(h, w, 3)`` one)."""
    a = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    a = np.ascontiguousarray((a * 255.0 + 0.5).astype(np.uint8))
    if a.ndim == 3:
        h, w, _ = a.shape
        img = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        h, w = a.shape
        img = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8)
    return img.copy()  # own the pixels: ``a`` dies with this frame


def rgb_qimage(rgb: np.ndarray) -> QImage:
    """A QImage of ``(h, w, 3)`` uint8 colours."""
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = a.shape
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def diverging_qimage(values: np.ndarray, limit: float | None = None) -> QImage:
    """A QImage of signed ``(h, w)`` values, neutral at zero, saturated at ``±limit``.

    ``limit`` defaults to the largest magnitude, so the strongest value is fully coloured.
    """
    v = np.asarray(values, dtype=np.float32)
    if limit is None:
        limit = float(np.max(np.abs(v))) if v.size else 0.0
    scale = 0.5 / limit if limit > 0 else 0.0
    idx = np.clip((v * scale + 0.5) * 255.0 + 0.5, 0, 255).astype(np.intp)
    return rgb_qimage(lut("diverging")[idx])


def saliency_overlay(
    image: np.ndarray, saliency: np.ndarray, limit: float | None = None
) -> np.ndarray:
    """The digit ``(h, w)`` in grey with its saliency ``(h, w)`` laid over it: ``(h, w, 3)`` uint8.

    Red where a brighter pixel would raise the score, blue where it would lower it;
    the colour's opacity grows with the effect's size (up to ``limit``, by default the
    largest) from nothing below :data:`NOISE` of it, so weak, noisy gradients leave the
    digit visible and strong ones stand out.
    """
    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    s = np.asarray(saliency, dtype=np.float32)
    if limit is None:
        limit = float(np.max(np.abs(s))) if s.size else 0.0
    strength = np.clip(np.abs(s) / limit, 0.0, 1.0) if limit > 0 else np.zeros_like(s)
    alpha = (0.9 * np.clip((strength - NOISE) / (1.0 - NOISE), 0.0, 1.0) ** 0.8)[..., None]
    base = (30.0 + 200.0 * img)[..., None] * np.ones(3, np.float32)
    colour = np.where((s >= 0)[..., None], RAISES, LOWERS)
    return np.clip(base * (1.0 - alpha) + colour * alpha + 0.5, 0, 255).astype(np.uint8)


def saliency_key(width: int = 256) -> np.ndarray:
    """``(1, width, 3)`` uint8: the overlay's colours from "lowers" to "raises" over no ink."""
    s = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    return saliency_overlay(np.zeros_like(s), s, 1.0)


def channel_mean(flat_rows: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Rows ``(n, d)`` of images as ``(n, h, w)``: colour channels averaged away."""
    a = np.asarray(flat_rows).reshape(flat_rows.shape[0], *image_shape)
    return a.mean(axis=3) if a.ndim == 4 else a
