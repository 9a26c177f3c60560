"""A drawn digit turned into the kind of image the model was trained on.

A model trained on MNIST has only ever seen digits prepared one way (LeCun et al.):
the ink's bounding box scaled, keeping its aspect ratio, so its longer side is 20
pixels, anti-aliased, then placed in a 28x28 frame so that its centre of mass sits
at the frame's centre, pixel (14, 14) — MNIST's own test digits have their centre
of mass there to within rounding (mean (13.99, 14.01), spread 0.29 px, the spread
of rounding to whole pixels). A digit drawn on a canvas of any size gets exactly
the same treatment, so the model sees what it knows:

1. **crop** to the bounding box of the pixels brighter than a twentieth of the
   brightest one (faint anti-aliasing fringes and smudges do not widen the box),
   and stretch the contrast so the strongest ink is 1, as MNIST's pen always is;
2. **resize** the box to fit ``box`` pixels keeping the aspect ratio: area
   averaging when shrinking (each output pixel is the mean of the input area it
   covers, the anti-aliasing MNIST had), linear interpolation when enlarging;
3. **place** it in the frame by rounding ``centre - centre_of_mass`` to whole
   pixels (or, for styles centred by box, ``centre - box_middle``), cutting off
   anything that falls outside.

scikit-learn's 8x8 digits were made differently (32x32 bitmaps, each 4x4 block
counted): the digit fills all 8 rows, is centred by its box, and even a "1" is
about half as wide as it is tall. :data:`DIGITS` describes that style, so the
canvas can feed a model trained on either dataset via :func:`to_shape`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import DataError

#: A canvas whose brightest pixel is at most this is treated as blank.
EMPTY_LEVEL = 0.02
#: Pixels below this fraction of the brightest one do not count for the crop.
CROP_FRACTION = 0.05


@dataclass(frozen=True)
class Style:
    """How a dataset's digits were framed.

    ``shape``: the output ``(H, W)``; ``box``: the ``(h, w)`` the ink's bounding box
    is fitted into, keeping its aspect ratio; ``centre``: the (row, col) where the
    digit's centre lands; ``by_mass``: centre the centre of mass (MNIST) rather than
    the box's middle; ``min_aspect``: the narrowest width/height ratio the box is
    widened to (thin strokes such as "1" are drawn wider in some datasets).
    """

    shape: tuple[int, int]
    box: tuple[int, int]
    centre: tuple[float, float]
    by_mass: bool = True
    min_aspect: float = 0.0


MNIST = Style(shape=(28, 28), box=(20, 20), centre=(14.0, 14.0))
DIGITS = Style(shape=(8, 8), box=(8, 8), centre=(3.5, 3.5), by_mass=False, min_aspect=0.5)


def style_for(shape: tuple[int, ...]) -> Style:
    """The framing for a model's input ``shape``: MNIST's, the 8x8 digits', or MNIST's scaled."""
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise DataError(
            f"a drawing can only be turned into a grayscale (H, W) image, not {shape!r}"
        )
    if shape == MNIST.shape:
        return MNIST
    if shape == DIGITS.shape:
        return DIGITS
    H, W = shape
    box = (max(1, round(H * 20 / 28)), max(1, round(W * 20 / 28)))
    return Style(shape=(H, W), box=box, centre=(H / 2.0, W / 2.0))


def is_empty(image: np.ndarray) -> bool:
    """True when the canvas holds no ink worth reading (its brightest pixel is faint)."""
    image = np.asarray(image)
    return image.size == 0 or not float(np.max(image)) > EMPTY_LEVEL


def to_mnist(image: np.ndarray) -> np.ndarray:
    """A drawn digit ``(H, W)`` (float in [0, 1], ink high) as an MNIST image ``(28, 28)``.

    Float32 in [0, 1]; all zeros for an empty canvas. See the module docstring.
    """
    return to_shape(image, MNIST.shape)


def to_shape(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A drawn digit ``(H, W)`` framed like the dataset whose images are ``shape``.

    ``(28, 28)`` gives MNIST's framing, ``(8, 8)`` scikit-learn's digits'; any
    other ``(H, W)`` MNIST's scaled to that size. Float32 in [0, 1].
    """
    return frame(image, style_for(shape))


def frame(image: np.ndarray, style: Style) -> np.ndarray:
    """Crop, resize and place ``image`` ``(H, W)`` according to ``style``."""
    image = _check(image)
    out = np.zeros(style.shape, dtype=np.float32)
    if is_empty(image):
        return out
    small = _fit(image, style.box, style.min_aspect)
    if style.by_mass:
        mass = small.sum()
        rows = np.arange(small.shape[0]) @ small.sum(axis=1) / mass
        cols = np.arange(small.shape[1]) @ small.sum(axis=0) / mass
        at = (rows, cols)
    else:
        at = ((small.shape[0] - 1) / 2.0, (small.shape[1] - 1) / 2.0)
    top = int(np.floor(style.centre[0] - at[0] + 0.5))
    left = int(np.floor(style.centre[1] - at[1] + 0.5))
    _paste(out, small, top, left)
    return out


def fit_box(image: np.ndarray, box: tuple[int, int], min_aspect: float = 0.0) -> np.ndarray:
    """The ink of ``image`` cropped, contrast-stretched and resized to fit ``box`` ``(h, w)``.

    The result's larger relative side equals the box's; the aspect ratio is kept,
    except that the width is at least ``min_aspect`` times the height. Float32 in
    [0, 1]. ``image`` must not be empty (:func:`is_empty`).
    """
    image = _check(image)
    if is_empty(image):
        raise DataError("the canvas is empty: there is no ink to fit")
    return _fit(image, box, min_aspect)


def _fit(image: np.ndarray, box: tuple[int, int], min_aspect: float) -> np.ndarray:
    """:func:`fit_box` of a checked, non-empty ``image``."""
    peak = float(image.max())
    ink = image > CROP_FRACTION * peak
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] / peak
    h, w = crop.shape
    scale = min(box[0] / h, box[1] / w)
    out_h = min(box[0], max(1, round(h * scale)))
    out_w = min(box[1], max(1, round(w * scale), round(out_h * min_aspect)))
    resized = _resize_axis(_resize_axis(crop, out_h, axis=0), out_w, axis=1)
    return np.clip(resized, 0.0, 1.0).astype(np.float32)


def _resize_axis(a: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """``a`` resized to ``n_out`` pixels along ``axis``.

    Shrinking (``s = n_out / n_in <= 1``): output pixel ``i`` is the mean of the
    input interval ``[i/s, (i+1)/s)``, read off the running sum of the pixels
    ``S(x) = sum of a[j] for j < floor(x), plus frac(x) * a[floor(x)]`` as
    ``(S((i+1)/s) - S(i/s)) * s``. Enlarging: linear interpolation at
    ``x = (i + 0.5)/s - 0.5``, clamped to the line. Either way each output is a
    convex combination of inputs, so values stay in range; and no matrix product
    is involved, so it never waits for BLAS threads busy with training.
    """
    a = np.moveaxis(a, axis, 0)
    n_in = a.shape[0]
    s = n_out / n_in
    if s <= 1.0:
        running = np.concatenate([np.zeros_like(a[:1]), np.cumsum(a, axis=0)])
        edges = np.minimum(np.arange(n_out + 1) / s, n_in)
        j = np.minimum(np.floor(edges).astype(int), n_in - 1)
        frac = (edges - j).reshape(-1, *([1] * (a.ndim - 1)))
        at_edges = running[j] + frac * a[j]
        out = (at_edges[1:] - at_edges[:-1]) * s
    else:
        x = np.clip((np.arange(n_out) + 0.5) / s - 0.5, 0.0, n_in - 1.0)
        j = np.minimum(np.floor(x).astype(int), max(n_in - 2, 0))
        w = (x - j).reshape(-1, *([1] * (a.ndim - 1)))
        out = a[j] * (1.0 - w) + a[np.minimum(j + 1, n_in - 1)] * w
    return np.moveaxis(out, 0, axis)


def _paste(frame_: np.ndarray, patch: np.ndarray, top: int, left: int) -> None:
    """Copy ``patch`` into ``frame_`` with its corner at ``(top, left)``, clipped to the frame."""
    H, W = frame_.shape
    h, w = patch.shape
    y0, y1 = max(top, 0), min(top + h, H)
    x0, x1 = max(left, 0), min(left + w, W)
    if y0 < y1 and x0 < x1:
        frame_[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]


def _check(image: np.ndarray) -> np.ndarray:
    """``image`` as a finite 2-D float array clipped to [0, 1] (copied only if it must be)."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise DataError(f"a drawing must be a non-empty grayscale (H, W) array, not {a.shape}")
    lo, hi = float(a.min()), float(a.max())  # NaN and infinities show up here too
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise DataError("a drawing holds NaN or infinite values")
    return a if lo >= 0.0 and hi <= 1.0 else np.clip(a, 0.0, 1.0)
