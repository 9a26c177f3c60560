"""An array drawn as cells: its colours, and which element each pixel of the picture is.

A :class:`Picture` is what the Inside tab shows of one array of a step: an RGBA
image (or bars, or a number) coloured here in NumPy, in the tracing worker, and
the numbers under it, so that hovering any pixel names its element and its value.
Signed values are blue (negative) through white to red (positive), values that
are never negative pale to deep blue, and the input grey, as the digit looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from gui.shared import colormaps as cm
from gui.shared.mosaic import GAP

Kind = Literal["image", "bars", "number"]
Layout = Literal["cells", "pixels", "tiles", "units", "matrix"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Picture:
    """One array of a step as drawn.

    ``array`` is the trace's own value (read-only) or a float. For an "image",
    ``values`` ``(h, w)`` holds the number under each pixel (NaN in the gaps) and
    ``rgba`` ``(h, w, 4)`` its colours; ``layout`` and ``cols``/``tile`` say which
    element a pixel is. For "bars", ``values`` is the vector and ``classes`` names
    the bars; ``label`` and ``prediction`` pick the bars drawn in colour.
    """

    name: str
    caption: str
    kind: Kind
    array: np.ndarray | float
    values: np.ndarray | None = None
    rgba: np.ndarray | None = None
    layout: Layout = "cells"
    cols: int = 1
    tile: tuple[int, int] = (1, 1)
    classes: tuple[str, ...] = ()
    tile_names: tuple[str, ...] = ()  # what each tile shows, when not simply unit j
    label: int = -1
    prediction: int = -1

    def index_at(self, x: float, y: float) -> tuple[int, ...] | None:
        """The element under pixel ``(x, y)`` of the image (bar ``x`` of bars), or None."""
        if self.kind == "bars":
            k = round(x)
            return (k,) if 0 <= k < len(self.classes) else None
        if self.values is None or x < 0 or y < 0:
            return None
        h, w = self.values.shape
        col, row = int(x), int(y)
        if row >= h or col >= w or np.isnan(self.values[row, col]):
            return None
        if self.layout == "cells":
            return (row * self.cols + col,)
        if self.layout == "pixels":  # the flat row's index (colour: the pixel's, channels averaged)
            return (row * w + col,)
        if self.layout == "matrix":  # drawn transposed: one row per unit fed
            return (col, row)
        th, tw = self.tile
        unit = (row // (th + GAP)) * self.cols + col // (tw + GAP)
        if self.layout == "units":
            return (unit,)
        return ((row % (th + GAP)) * tw + col % (tw + GAP), unit)

    def value_at(self, x: float, y: float) -> float | None:
        """The number under pixel ``(x, y)`` (bar ``x``), or None outside the picture."""
        index = self.index_at(x, y)
        if index is None:
            return None
        if self.kind == "bars":
            return float(np.asarray(self.array)[index[0]])
        return float(self.values[int(y), int(x)])

    def read(self, x: float, y: float) -> str | None:
        """What hovering reads: ``"W1[412, 17] = -0.0312 (unit 17, pixel 14, 20)"``."""
        index = self.index_at(x, y)
        if index is None:
            return None
        value = self.value_at(x, y)
        if self.layout in ("cells", "units"):
            where = f"unit {index[0]}"
        elif self.layout == "pixels":
            where = "pixel row {}, column {}".format(*divmod(index[0], self.cols))
        elif self.layout == "matrix":
            where = f"from unit {index[0]} to unit {index[1]}"
        else:
            where = f"unit {index[-1]}, pixel {divmod(index[0], self.tile[1])}"
        if self.kind == "bars":
            where = f"class {self.classes[index[0]]}"
        elif self.tile_names and self.layout == "tiles":
            tile = index[-1]
            where = f"{self.tile_names[tile]}, pixel {divmod(index[0], self.tile[1])}"
            return f"{self.name} = {value:.4g} ({where})"
        name = self.name.split(" ")[0]
        shown = ", ".join(str(i) for i in index)
        return f"{name}[{shown}] = {value:.4g} ({where})"


def shape_text(a: np.ndarray | float) -> str:
    return "a number" if np.ndim(a) == 0 else "(" + ", ".join(str(d) for d in np.shape(a)) + ")"


def packed(lut: np.ndarray) -> np.ndarray:
    """A 256-colour ``lut`` as 257 packed RGBA words, the last one transparent (the gaps)."""
    rgba = np.zeros((257, 4), np.uint8)
    rgba[:256, :3] = lut
    rgba[:256, 3] = 255
    return rgba.view(np.uint32).ravel()


def diverging_lut() -> np.ndarray:
    """The theme's diverging map, packed (signed values: weights, gradients)."""
    return packed(cm.lut("diverging"))


def sequential_lut() -> np.ndarray:
    """The theme's sequential map, packed (activations, probabilities)."""
    return packed(cm.lut("sequential"))


GREY = packed(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1))


def to_rgba(values: np.ndarray, lut: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` through a packed ``lut`` (:func:`packed`) from ``lo`` to ``hi``; NaN clear.

    In float32, in place on one copy, one gather of 4-byte words: a thousand templates
    make a million pixels, and this runs for every picture of every trace.
    """
    v = np.array(values, dtype=np.float32)
    gaps = np.isnan(v)
    v -= np.float32(lo)
    v *= np.float32(255.0 / (hi - lo) if hi > lo else 0.0)
    v += np.float32(0.5)
    np.clip(v, 0, 255, out=v)
    v[gaps] = 0
    idx = v.astype(np.uint16)
    idx[gaps] = 256
    return lut[idx].view(np.uint8).reshape(*values.shape, 4)


def colour(values: np.ndarray, grey: bool = False) -> np.ndarray:
    """The RGBA image of ``values``: grey 0..1, else diverging (signed) or sequential."""
    finite = values[~np.isnan(values)]
    if grey:
        return to_rgba(values, GREY, 0.0, 1.0)
    peak = float(np.abs(finite).max()) if finite.size else 0.0
    peak = peak or 1.0
    if finite.size and finite.min() >= 0:
        return to_rgba(values, sequential_lut(), 0.0, peak)
    return to_rgba(values, diverging_lut(), -peak, peak)
