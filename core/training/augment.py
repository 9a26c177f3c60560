"""Train-time augmentation: every epoch sees slightly moved, turned and bent digits.

An MLP has no built-in notion that a digit moved by a pixel is the same digit; it
has to see such variants. Two kinds, applied to a batch of flattened images
``X: (n, d)`` with ``d = prod(image_shape)`` and ``image_shape`` ``(H, W)`` or
``(H, W, C)`` (all channels of an image move together):

``"shift"``
    Each image moves by whole pixels ``(dy, dx)``, each drawn uniformly from
    ``-s..s`` (``s = 2`` px at MNIST's 28 px, scaled with the image size, at least
    1), with zeros coming in from the edge. No interpolation, so pixel values are
    only moved, never mixed. Vectorised as one gather per slab of images from a
    zero-bordered copy.

``"affine"``
    Each image goes through a small random rotation ``θ``, scale ``σ``, shear ``k``
    and sub-pixel translation ``t`` about its centre ``c = ((H-1)/2, (W-1)/2)``,
    plus a light elastic bend ``δ(p)``. The output pixel ``p = (row, col)`` reads
    the input at the inverse-mapped point::

        q(p) = M (p - c - t) + c + δ(p) = M p + e + δ(p),   M = A⁻¹,
        A = R(θ) · diag(σ, σ) · [[1, k], [0, 1]],          e = c - M (c + t)

    and takes its value by bilinear interpolation of the four pixels around
    ``q``, with zeros outside the image. ``δ`` is a smooth random displacement
    field: normal offsets at a coarse ``g x g`` grid of control points, spread over
    the image by bilinear interpolation (``δ = U_y G U_xᵀ``, two small matrix
    products), a cheap stand-in for Gaussian-smoothed noise (Simard et al., 2003).
    Bilinear weights are convex, so values stay in [0, 1].

Both kinds draw all their random numbers from the ``rng`` passed in, in a fixed
order, so a given generator state always produces the same batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import ConfigError, DataError

KINDS = ("none", "shift", "affine")

#: Images per slab of a shift or warp: big enough to amortise NumPy's per-call
#: cost, small enough that the slab's temporaries stay in the CPU caches.
_CHUNK = 512


@dataclass(frozen=True)
class AffineRanges:
    """How far a random affine transform may go (uniform draws, symmetric about 0).

    ``translate`` is in pixels at a 28-pixel image and scales with the image size;
    ``elastic`` is the standard deviation, in pixels at 28 px, of the displacement
    at each of the ``elastic_grid x elastic_grid`` control points (0 turns it off).
    """

    rotate_deg: float = 12.0
    scale: float = 0.10
    shear: float = 0.15
    translate: float = 2.0
    elastic: float = 0.7
    elastic_grid: int = 4


def augment_batch(
    X: np.ndarray,
    image_shape: tuple[int, ...],
    kind: str,
    rng: np.random.Generator,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """A randomly augmented copy of the batch ``X: (n, d)``; see the module docstring.

    ``out`` (``(n, d)``, may be ``X`` itself) receives the result when given, so the
    training loop can reuse one buffer; otherwise a new array of ``X``'s dtype is
    returned. ``kind="none"`` returns ``X`` itself when there is no ``out``.
    """
    if kind not in KINDS:
        raise ConfigError(f"augment: {kind!r} is not one of {', '.join(KINDS)}")
    H, W, _ = _check(X, image_shape, out)
    if kind == "none":
        if out is None:
            return X
        if not np.shares_memory(out, X):
            out[...] = X
        return out
    if out is None:
        out = np.empty_like(X)
    n = X.shape[0]
    if kind == "shift":
        s = _pixels(2.0, H, W, minimum=1)
        shifts = rng.integers(-s, s + 1, size=(n, 2))
        return shift_images(X, image_shape, shifts, out=out)
    matrix, offset = random_affine(n, image_shape, rng)
    ranges = AffineRanges()
    bend = None
    if ranges.elastic > 0:
        bend = random_bend(n, image_shape, rng, ranges.elastic, ranges.elastic_grid)
    return warp_images(X, image_shape, matrix, offset, bend=bend, out=out)


def shift_images(
    X: np.ndarray,
    image_shape: tuple[int, ...],
    shifts: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Move image ``i`` of ``X: (n, d)`` by ``shifts[i] = (dy, dx)`` whole pixels.

    ``out[i, r, c] = X[i, r - dy, c - dx]``, zero where that falls outside: content
    moving out of the frame is lost. Each slab of images is copied into a zero
    frame ``s`` pixels wider on every side (``s`` the largest shift), and read back
    with one flat-index gather ``frame[first_i + (r + s - dy) Wp + (c + s - dx)]``,
    the index being a fixed ``(H, W)`` grid plus one offset per image. ``out`` may
    be ``X``.
    """
    H, W, C = _check(X, image_shape, out)
    n = X.shape[0]
    shifts = np.asarray(shifts, dtype=np.intp).reshape(-1, 2)
    if shifts.shape[0] != n:
        raise DataError(f"shift_images: {shifts.shape[0]} shifts for {n} images")
    if out is None:
        out = np.empty_like(X)
    if n == 0:
        return out
    # a shift by the whole size already empties the image; larger ones need no wider frame
    shifts = np.clip(shifts, [-H, -W], [H, W])
    s = int(np.abs(shifts).max())
    Hp, Wp = H + 2 * s, W + 2 * s
    m = min(n, _CHUNK)
    frame = np.zeros((m, Hp, Wp, C), dtype=X.dtype)
    flat = frame.reshape(-1, C) if C > 1 else frame.reshape(-1)
    grid = np.arange(s, s + H)[:, None] * Wp + np.arange(s, s + W)[None, :]
    first = np.arange(m) * (Hp * Wp)
    index = np.empty((m, H, W), dtype=np.intp)
    moved = np.empty((m * H * W, C) if C > 1 else m * H * W, dtype=X.dtype)
    src = X.reshape(n, H, W, C)
    dst = out.reshape(n, H, W, C)
    for a in range(0, n, m):
        k = min(m, n - a)
        frame[:k, s : s + H, s : s + W] = src[a : a + k]
        start = first[:k] - shifts[a : a + k, 0] * Wp - shifts[a : a + k, 1]
        np.add(grid, start[:, None, None], out=index[:k])
        np.take(flat, index[:k].reshape(-1), axis=0, out=moved[: k * H * W], mode="clip")
        dst[a : a + k] = moved[: k * H * W].reshape(k, H, W, C)
    return out


def random_affine(
    n: int,
    image_shape: tuple[int, ...],
    rng: np.random.Generator,
    ranges: AffineRanges | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random inverse maps ``q = M p + e`` for :func:`warp_images`.

    Returns ``matrix: (n, 2, 2)`` and ``offset: (n, 2)`` (row, col order), built from
    uniform draws of rotation, scale, shear and translation within ``ranges``; the
    module docstring has the formulas.
    """
    r = ranges or AffineRanges()
    H, W = image_shape[0], image_shape[1]
    theta = np.deg2rad(rng.uniform(-r.rotate_deg, r.rotate_deg, n))
    scale = 1.0 + rng.uniform(-r.scale, r.scale, n)
    shear = rng.uniform(-r.shear, r.shear, n)
    t = rng.uniform(-1.0, 1.0, (n, 2)) * r.translate * (np.array([H, W]) / 28.0)
    cos, sin = np.cos(theta), np.sin(theta)
    # A = R · σ · Sh in (row, col) coordinates; its inverse is written out directly:
    # (R σ Sh)⁻¹ = Sh⁻¹ σ⁻¹ Rᵀ, Sh⁻¹ = [[1, -k], [0, 1]].
    rt = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    sh_inv = np.zeros((n, 2, 2))
    sh_inv[:, 0, 0] = sh_inv[:, 1, 1] = 1.0
    sh_inv[:, 0, 1] = -shear
    matrix = sh_inv @ rt / scale[:, None, None]
    centre = np.array([(H - 1) / 2.0, (W - 1) / 2.0])
    offset = centre - np.einsum("nij,nj->ni", matrix, centre + t)
    return matrix, offset


def random_bend(
    n: int,
    image_shape: tuple[int, ...],
    rng: np.random.Generator,
    sigma: float,
    grid: int = 4,
) -> np.ndarray:
    """Control-point offsets ``(n, 2, grid, grid)`` (row, col) of elastic bends.

    Drawn ``N(0, sigma²)`` in pixels at 28 px, scaled with the image size.
    :func:`warp_images` spreads them over the image (:func:`bend_field`).
    """
    H, W = image_shape[0], image_shape[1]
    g = max(int(grid), 2)
    return rng.normal(0.0, sigma * max(H, W) / 28.0, (n, 2, g, g)).astype(np.float32)


def bend_field(bend: np.ndarray, H: int, W: int, out: np.ndarray | None = None) -> np.ndarray:
    """The smooth displacement field ``(n, 2, H, W)`` of control offsets ``(n, 2, g, g)``.

    The ``g x g`` control points span the image evenly; in between, bilinear
    interpolation: ``δ = U_y G U_xᵀ`` with ``U`` the ``(H, g)`` / ``(W, g)`` linear
    interpolation matrices. Done as ``2n`` pairs of tiny products rather than one
    ``(2n, g²) @ (g², H W)``: a third of the flops, and BLAS would run the big one on
    several threads, which is very slow when other processes hold the cores.
    """
    g_y, g_x = bend.shape[-2], bend.shape[-1]
    return np.matmul(_interp_matrix(H, g_y), bend @ _interp_matrix(W, g_x).T, out=out)


def warp_images(
    X: np.ndarray,
    image_shape: tuple[int, ...],
    matrix: np.ndarray,
    offset: np.ndarray,
    bend: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Resample each image of ``X: (n, d)`` at ``q = matrix[i] @ p + offset[i] (+ δ)``.

    ``p`` runs over the output pixel centres (row, col), ``matrix: (n, 2, 2)``,
    ``offset: (n, 2)``; ``bend: (n, 2, g, g)`` control offsets of an elastic
    displacement ``δ`` (:func:`bend_field`), or None for none. Bilinear
    interpolation in float32, zero outside the image; the identity map returns
    ``X`` exactly. ``out`` may be ``X``.

    Each slab of ``_CHUNK`` images is copied into a zero frame (one pixel above and
    left, two below and right), ``q`` is clipped to that frame so any point further
    out reads zeros, and the four neighbours are gathered with one flat index into
    the frame (the other three are the same index into views starting 1, ``Wp`` and
    ``Wp + 1`` elements later). Every step writes into buffers made once per call:
    a fixed number of NumPy calls per slab and no allocation inside the loop.
    """
    H, W, C = _check(X, image_shape, out)
    n = X.shape[0]
    matrix = np.asarray(matrix, dtype=np.float32).reshape(n, 2, 2)
    offset = np.asarray(offset, dtype=np.float32).reshape(n, 2)
    if out is None:
        out = np.empty_like(X)
    if n == 0:
        return out
    Hp, Wp = H + 3, W + 3
    # flat indices are built in float32, exact below 2**24
    m = max(1, min(n, _CHUNK, 2**24 // (Hp * Wp)))
    frame = np.zeros((m, Hp, Wp, C), dtype=np.float32)
    flat = frame.reshape(-1, C) if C > 1 else frame.reshape(-1)
    taps = (flat, flat[1:], flat[Wp:], flat[Wp + 1 :])
    rows = np.arange(H, dtype=np.float32)[None, :, None]
    cols = np.arange(W, dtype=np.float32)[None, None, :]
    first = (np.arange(m, dtype=np.float32) * (Hp * Wp))[:, None, None]
    q = np.empty((2, m, H, W), dtype=np.float32)
    floor = np.empty((2, m, H, W), dtype=np.float32)
    index = np.empty((m, H, W), dtype=np.intp)
    value = np.empty((4, m * H * W, C) if C > 1 else (4, m * H * W), dtype=np.float32)
    field = np.empty((m, 2, H, W), dtype=np.float32) if bend is not None else None
    src = X.reshape(n, H, W, C)
    dst = out.reshape(n, H, W, C)
    for a in range(0, n, m):
        k = min(m, n - a)
        M, e = matrix[a : a + k, :, :, None, None], offset[a : a + k, :, None, None]
        qy, qx, fy, fx = q[0, :k], q[1, :k], floor[0, :k], floor[1, :k]
        # q = M p + e, plus one to count from the frame's corner
        np.add(M[:, 0, 0] * rows, M[:, 0, 1] * cols + (e[:, 0] + 1.0), out=qy)
        np.add(M[:, 1, 0] * rows, M[:, 1, 1] * cols + (e[:, 1] + 1.0), out=qx)
        if field is not None and bend is not None:
            spread = bend_field(np.asarray(bend[a : a + k], dtype=np.float32), H, W, field[:k])
            qy += spread[:, 0]
            qx += spread[:, 1]
        np.clip(qy, 0.0, H + 1.0, out=qy)
        np.clip(qx, 0.0, W + 1.0, out=qx)
        np.floor(qy, out=fy)
        np.floor(qx, out=fx)
        qy -= fy  # now the weight of the lower row
        qx -= fx  # and of the right column
        fy *= Wp
        fy += fx
        fy += first[:k]
        idx = index[:k].reshape(-1)
        np.copyto(index[:k], fy, casting="unsafe")
        frame[:k, 1 : H + 1, 1 : W + 1] = src[a : a + k]
        v = value[:, : idx.size]
        for tap, dest in zip(taps, v, strict=True):
            np.take(tap, idx, axis=0, out=dest, mode="clip")
        v00, v01, v10, v11 = v
        wy = qy.reshape(-1, 1) if C > 1 else qy.reshape(-1)
        wx = qx.reshape(-1, 1) if C > 1 else qx.reshape(-1)
        v01 -= v00
        v01 *= wx
        v00 += v01  # top row, interpolated along x
        v11 -= v10
        v11 *= wx
        v10 += v11  # bottom row
        v10 -= v00
        v10 *= wy
        v00 += v10
        np.clip(v00, 0.0, 1.0, out=v00)
        dst[a : a + k] = v00.reshape(k, H, W, C)
    return out


def _interp_matrix(size: int, g: int) -> np.ndarray:
    """``(size, g)`` weights spreading ``g`` evenly spaced control values over ``size`` pixels."""
    pos = np.linspace(0.0, g - 1.0, size)
    lo = np.minimum(np.floor(pos).astype(int), g - 2)
    w = pos - lo
    U = np.zeros((size, g), dtype=np.float32)
    U[np.arange(size), lo] = 1.0 - w
    U[np.arange(size), lo + 1] = w
    return U


def _pixels(at28: float, H: int, W: int, minimum: int = 0) -> int:
    """A distance given for 28-pixel images, scaled to this image size, in whole pixels."""
    return max(minimum, math.floor(at28 * min(H, W) / 28.0 + 0.5))


def _check(
    X: np.ndarray, image_shape: tuple[int, ...], out: np.ndarray | None
) -> tuple[int, int, int]:
    """``(H, W, C)`` for ``image_shape``, after checking ``X`` (and ``out``) fit it."""
    shape = tuple(int(s) for s in image_shape)
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise DataError(f"image_shape {shape!r} is not (H, W) or (H, W, C)")
    H, W = shape[0], shape[1]
    C = shape[2] if len(shape) == 3 else 1
    if X.ndim != 2 or X.shape[1] != H * W * C:
        raise DataError(f"images {X.shape} do not match image_shape {shape!r} flattened")
    if out is not None and (out.shape != X.shape or not out.flags.c_contiguous):
        raise DataError(f"out {out.shape} must be a C-contiguous array shaped like {X.shape}")
    if not X.flags.c_contiguous:
        raise DataError("images must be a C-contiguous (n, d) array")
    return H, W, C
