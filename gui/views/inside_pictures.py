"""The Inside tab's pictures: every array of a step as an image, bars or a number, in NumPy.

One step of a trace (``Trace.steps()``) names its result and operands; each becomes a
:class:`Picture` here. Vectors of hidden units are a near-square grid of cells, the
input and its gradient are the image itself, W1 and dW1 are one tile per unit (the
unit's template, or its update image), other weight matrices a heat map with one
row per unit they feed, and the output layer's vectors are bars, one per class
(colours and hovering: :mod:`gui.views.inside_cells`). All of it is plain NumPy, done
in the tracing worker (:mod:`gui.views.inside_work`): the GUI thread only hands the
RGBA image to an image item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.training.trace import Step, Trace
from gui.shared import colormaps as cm
from gui.shared.mosaic import grid_for, mosaic
from gui.views.inside_cells import Picture, colour, diverging_lut, shape_text, to_rgba

#: In the picture of which units fire: a silent unit's flat grey, and the least a firing
#: unit's template is shown with (alpha, 0-255; the strongest unit is fully opaque).
SILENT_GREY = (150, 150, 150, 70)
WEAKEST_ALPHA = 90


# -- the builders ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What a picture needs beyond its array: the image shape, the class names, the trace."""

    trace: Trace
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]

    @property
    def n_in(self) -> int:
        return self.trace.sizes[0]

    @property
    def output_names(self) -> set[str]:
        L = self.trace.n_layers
        return {f"Z{L}", "S", "E", "P", "Y", f"dZ{L}", f"b{L}", f"db{L}"}


def _flat_image(vector: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A ``(n_in,)`` row as a 2-D image (colour channels averaged)."""
    image = np.asarray(vector, np.float32).reshape(shape)
    return image.mean(axis=2) if image.ndim == 3 else image


def _tiles(matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Columns of ``(n_in, units)`` as ``(units, h, w)`` images."""
    return cm.channel_mean(np.asarray(matrix, np.float32).T, shape)


def picture(name: str, array: np.ndarray | float, ctx: Context) -> Picture:
    """The picture of one named array of a trace (see the module doc for which is which)."""
    if np.ndim(array) == 0:
        return Picture(name=name, caption="a number", kind="number", array=float(array))
    a = np.asarray(array)
    caption = shape_text(a)
    if name in ctx.output_names and a.ndim == 1:
        t = ctx.trace
        return Picture(
            name=name,
            caption=f"{caption}: one per class",
            kind="bars",
            array=a,
            values=a,
            classes=ctx.class_names[: a.size],
            label=t.label,
            prediction=t.prediction,
        )
    if a.ndim == 1 and a.size == ctx.n_in and name in ("X", "dX"):
        values = _flat_image(a, ctx.image_shape)
        rgba = colour(values, grey=name == "X")
        if name == "X" and len(ctx.image_shape) == 3:
            rgba = _rgba_colour_image(a, ctx.image_shape)
        return Picture(
            name=name,
            caption=f"{caption}: the image",
            kind="image",
            array=a,
            values=values,
            rgba=rgba,
            layout="pixels",
            cols=values.shape[1],
        )
    if a.ndim == 1:
        rows, cols = grid_for(a.size)
        values = np.full(rows * cols, np.nan, np.float32)
        values[: a.size] = a
        values = values.reshape(rows, cols)
        return Picture(
            name=name,
            caption=f"{caption}: one cell per unit",
            kind="image",
            array=a,
            values=values,
            rgba=colour(values),
            cols=cols,
        )
    if a.shape[0] == ctx.n_in and name in ("W1", "dW1"):
        return tiles_picture(name, a, ctx, per_unit=name == "W1")
    values = np.ascontiguousarray(a.T, dtype=np.float32)
    return Picture(
        name=name,
        caption=f"{caption}: a row per unit it feeds",
        kind="image",
        array=a,
        values=values,
        rgba=colour(values),
        layout="matrix",
        cols=values.shape[1],
    )


def _rgba_colour_image(vector: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    rgb = np.clip(np.asarray(vector, np.float32).reshape(shape) * 255 + 0.5, 0, 255)
    out = np.full((*shape[:2], 4), 255, np.uint8)
    out[..., :3] = rgb.astype(np.uint8)
    return out


def tiles_picture(
    name: str, matrix: np.ndarray, ctx: Context, *, per_unit: bool, caption: str = ""
) -> Picture:
    """``(n_in, units)`` as one tile per unit; ``per_unit`` scales each tile by its own peak."""
    tiles = _tiles(matrix, ctx.image_shape)
    rows, cols = grid_for(tiles.shape[0])
    values = mosaic(tiles, rows, cols)
    if per_unit:
        peak = np.abs(tiles).max(axis=(1, 2), keepdims=True)
        scaled = mosaic(tiles / np.where(peak > 0, peak, 1.0), rows, cols)
        rgba = to_rgba(scaled, diverging_lut(), -1.0, 1.0)
    else:
        rgba = colour(values)
    what = "each unit's template, scaled per unit" if per_unit else "one picture per unit"
    return Picture(
        name=name,
        caption=caption or f"{shape_text(matrix)}: {what}",
        kind="image",
        array=matrix,
        values=values,
        rgba=rgba,
        layout="tiles",
        cols=cols,
        tile=tiles.shape[1:],
    )


def firing_picture(ctx: Context, templates: Picture) -> Picture:
    """Which first-layer units fire for this digit: each firing unit's W1 template, the
    more opaque the stronger it fires, and a flat grey tile for each silent unit.

    ``templates`` is W1's picture (:func:`tiles_picture`, per unit), whose colours are
    reused. Hovering reads the unit's activation A1.
    """
    t = ctx.trace
    a1 = np.asarray(t.A[0], np.float32)
    th, tw = templates.tile
    shape = (a1.size, th, tw)
    rows, cols = grid_for(a1.size)
    rgba = templates.rgba.copy()
    top = float(a1.max()) if a1.size else 0.0
    strength = np.clip(a1 / top, 0.0, 1.0) if top > 0 else np.zeros_like(a1)
    alpha = np.where(a1 > 0, WEAKEST_ALPHA + (255 - WEAKEST_ALPHA) * strength, -1.0)
    per_tile = mosaic(np.broadcast_to(alpha[:, None, None], shape), rows, cols)
    silent = per_tile < 0
    rgba[silent] = SILENT_GREY
    rgba[..., 3] = np.where(
        np.isnan(per_tile), 0, np.where(silent, SILENT_GREY[3], np.nan_to_num(per_tile))
    ).astype(np.uint8)
    values = mosaic(np.broadcast_to(a1[:, None, None], shape), rows, cols)
    fire = int(np.count_nonzero(a1 > 0))
    return Picture(
        name="A1 on W1",
        caption=f"{fire} of {a1.size} units fire (grey: silent); the stronger, the bolder",
        kind="image",
        array=t.A[0],
        values=values,
        rgba=rgba,
        layout="units",
        cols=cols,
        tile=templates.tile,
    )


def update_picture(gradient: Picture) -> Picture:
    """−dW1 per unit: what one step on this digit adds to each template (times the rate).

    ``gradient`` is dW1's picture; this is its negative, on the same scale.
    """
    values = -gradient.values
    return Picture(
        name="−dW1",
        caption="what a step adds to each template (× learning rate): the digit, "
        "scaled by the unit's error",
        kind="image",
        array=-np.asarray(gradient.array),
        values=values,
        rgba=colour(values),
        layout="tiles",
        cols=gradient.cols,
        tile=gradient.tile,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StepPictures:
    """One step's pictures: its operands, its result and, for some, one more view of it."""

    step: Step
    operands: tuple[Picture, ...]
    result: Picture
    extra: Picture | None = None

    @property
    def all(self) -> tuple[Picture, ...]:
        extra = () if self.extra is None else (self.extra,)
        return (*self.operands, self.result, *extra)


def has_templates(ctx: Context) -> bool:
    """The first layer's inputs are the image: its columns can be drawn as pictures."""
    return int(np.prod(ctx.image_shape)) == ctx.n_in


def steps_pictures(
    trace: Trace,
    image_shape: Sequence[int],
    class_names: Sequence[str],
) -> tuple[StepPictures, ...]:
    """Every step of ``trace`` with its pictures; an array used by several steps is drawn once."""
    ctx = Context(trace=trace, image_shape=tuple(image_shape), class_names=tuple(class_names))
    drawn: dict[str, Picture] = {}

    def get(name: str, array: np.ndarray | float) -> Picture:
        if name not in drawn:
            drawn[name] = picture(name, array, ctx)
        return drawn[name]

    out = []
    templates = has_templates(ctx)
    for step in trace.steps():
        extra = None
        if templates and step.symbol == "A1" and trace.n_layers > 1:
            extra = firing_picture(ctx, get("W1", trace.weights[0]))
        elif templates and step.symbol == "dW1":
            extra = update_picture(get("dW1", trace.dW[0]))
        out.append(
            StepPictures(
                step=step,
                operands=tuple(get(n, v) for n, v in step.operands),
                result=get(step.symbol, step.value),
                extra=extra,
            )
        )
    return tuple(out)
