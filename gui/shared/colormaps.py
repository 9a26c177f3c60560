"""The studio's palette: colour maps and line colours shared by every view.

One diverging map (blue-white-red, centred on zero) for signed quantities such as
weights and saliency, one sequential map (pale to deep blue) for counts, and a few
mid-luminance line colours that stay readable on light and dark backgrounds alike.
The maps are also exposed as 256-entry lookup tables so views that paint with
QPainter (tiles, sheets) colour exactly like the pyqtgraph image items do.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QImage

# Blue (negative) - white (zero) - red (positive); symmetric so zero sits at the centre.
DIVERGING = pg.ColorMap(
    pos=np.array([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]),
    color=np.array(
        [
            (5, 48, 97),
            (67, 147, 195),
            (186, 218, 235),
            (247, 247, 247),
            (250, 200, 175),
            (214, 96, 77),
            (103, 0, 31),
        ],
        dtype=np.ubyte,
    ),
    name="studio-diverging",
)

# Pale to deep blue: zero reads as "nothing here" on either background.
SEQUENTIAL = pg.ColorMap(
    pos=np.array([0.0, 0.25, 0.5, 0.75, 1.0]),
    color=np.array(
        [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)],
        dtype=np.ubyte,
    ),
    name="studio-sequential",
)

# Line colours: saturated enough for white, light enough for near-black.
TRAIN = QColor(31, 119, 180)  # blue
VAL = QColor(255, 127, 14)  # orange
RUNNING = QColor(120, 160, 210)  # light blue: the noisy per-batch line under TRAIN
MARKER = QColor(160, 90, 200)  # violet: where a hyperparameter changed
FADED = QColor(150, 150, 150, 130)  # earlier runs kept for comparison
HIGHLIGHT = QColor(255, 170, 0)  # the selected cell or tile
CORRECT = QColor(44, 160, 44)  # green: the true class (or a right answer)
WRONG = QColor(214, 39, 40)  # red: the predicted class when it is wrong
NEUTRAL = QColor(150, 150, 150)  # any other class

#: One colour per run of the session (cycled): the Runs tab tells them apart by these.
RUN_COLOURS = [
    QColor(c)
    for c in (
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#17becf",
        "#8c564b",
        "#e377c2",
        "#bcbd22",
        "#7f7f7f",
    )
]


def run_colour(index: int) -> QColor:
    """The colour of the run with colour index ``index``."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


DIVERGING_LUT = DIVERGING.getLookupTable(0.0, 1.0, 256, alpha=False)
SEQUENTIAL_LUT = SEQUENTIAL.getLookupTable(0.0, 1.0, 256, alpha=False)


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


def diverging_qimage(values: np.ndarray, limit: float | None = None) -> QImage:
    """A QImage of signed ``(h, w)`` values, white at zero, saturated at ``±limit``.

    ``limit`` defaults to the largest magnitude, so the strongest value is fully coloured.
    """
    v = np.asarray(values, dtype=np.float32)
    if limit is None:
        limit = float(np.max(np.abs(v))) if v.size else 0.0
    scale = 0.5 / limit if limit > 0 else 0.0
    idx = np.clip((v * scale + 0.5) * 255.0 + 0.5, 0, 255).astype(np.intp)
    rgb = np.ascontiguousarray(DIVERGING_LUT[idx])
    h, w = v.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def channel_mean(flat_rows: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Rows ``(n, d)`` of images as ``(n, h, w)``: colour channels averaged away."""
    a = np.asarray(flat_rows).reshape(flat_rows.shape[0], *image_shape)
    return a.mean(axis=3) if a.ndim == 4 else a
