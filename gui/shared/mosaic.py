"""W1's receptive fields as one mosaic image: the weights view's pictures, in NumPy.

Column ``j`` of W1 ``(fan_in, hidden)`` becomes one tile of the image's shape;
all tiles go into a single image (1-pixel NaN gaps, drawn transparent), so a
snapshot costs the view one ``setImage``. The grid's columns follow the number
of units (:func:`grid_for`), not the window. The training thread prepares these
before sending the snapshot (see ``gui.worker``), so the GUI thread only draws.
"""

from __future__ import annotations

import math

import numpy as np

from core.training.events import Snapshot
from gui.shared import colormaps as cm

GAP = 1


def grid_for(n: int) -> tuple[int, int]:
    """``(rows, cols)`` of the tile grid for ``n`` units: twice as wide as tall, in eights.

    The columns depend on the number of units only (16 for 128, 8 for 32, 48 for
    1024), so unit ``r * cols`` starts row ``r`` whatever the window's size; the
    tiles then grow to fill the panel.
    """
    cols = min(max(n, 1), 8 * max(1, round(math.sqrt(2 * n) / 8)))
    return max(1, math.ceil(n / cols)), cols


def mosaic(tiles: np.ndarray, rows: int, cols: int, gap: int = GAP) -> np.ndarray:
    """Tiles ``(n, h, w)`` laid out row by row into one ``(rows*(h+gap)-gap, ...)`` image.

    Gaps and unused cells are NaN, which the image item draws transparent.
    """
    n, h, w = tiles.shape
    padded = np.full((rows * cols, h + gap, w + gap), np.nan, dtype=np.float32)
    padded[:n, :h, :w] = tiles
    grid = padded.reshape(rows, cols, h + gap, w + gap).transpose(0, 2, 1, 3)
    return grid.reshape(rows * (h + gap), cols * (w + gap))[: -gap or None, : -gap or None]


def prepare(snap: Snapshot) -> dict[str, np.ndarray]:
    """The pictures the view draws for ``snap``: both mosaics (per unit, one scale) and norms.

    This is the view's only heavy work, plain NumPy on a read-only snapshot, so the
    training thread does it before sending the snapshot (see ``gui.worker``) and
    the GUI thread only hands the result to the image item.
    """
    W = np.asarray(snap.weights, dtype=np.float32)
    tiles = cm.channel_mean(W.T, tuple(snap.image_shape))
    grid = grid_for(W.shape[1])
    peak = np.abs(tiles).max(axis=(1, 2), keepdims=True)
    return {
        "w1_mosaic": mosaic(tiles, *grid),
        "w1_mosaic_per_unit": mosaic(tiles / np.where(peak > 0, peak, 1.0), *grid),
        "w1_limit": np.asarray(float(peak.max(initial=0.0)) or 1.0),
        "w1_norms": np.linalg.norm(W, axis=0),
    }
