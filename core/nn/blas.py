"""One BLAS call: ``C += alpha * A.T @ B`` in place, straight into NumPy's own OpenBLAS.

The training loop's largest temporary would be a weight gradient ``A_prev.T @ dZ``
the size of the weights. SGD and momentum fold it into the weights (or the
velocity) instead, with one gemm call with ``beta = 1``. NumPy has no such call,
so the gemm of the OpenBLAS inside NumPy's wheel is looked up once with ctypes,
checked against ``np.matmul`` on a small product, and used only on buffers it is
safe for; everything else goes through NumPy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def add_outer(
    C: np.ndarray, A: np.ndarray, B: np.ndarray, alpha: float, scratch: np.ndarray | None = None
) -> None:
    """``C += alpha * A.T @ B`` in place, with no temporary the size of ``C``.

    ``C`` ``(k, n)``, ``A`` ``(m, k)``, ``B`` ``(m, n)``. With C-ordered float32 or
    float64 arrays this is one gemm call with ``beta = 1`` into NumPy's own BLAS
    (the same library and thread pool ``np.matmul`` uses: a second BLAS with its
    own threads would fight it for the cores); otherwise the product goes through
    ``scratch`` (shaped like ``C``) or, without one, a temporary.
    """
    gemm = _cblas_gemm(C.dtype) if C.size >= _GEMM_MIN_SIZE else None
    if gemm is not None and _gemm_fits(C, A, B):
        (m, k), n = A.shape, B.shape[1]
        gemm(
            _ROW_MAJOR,
            _TRANS,
            _NO_TRANS,
            k,
            n,
            m,
            float(alpha),
            A.ctypes.data,
            k,
            B.ctypes.data,
            n,
            1.0,
            C.ctypes.data,
            n,
        )
        return
    if scratch is None:
        C += C.dtype.type(alpha) * (A.T @ B)
        return
    np.matmul(A.T, B, out=scratch)
    scratch *= C.dtype.type(alpha)
    C += scratch


def _gemm_fits(C: np.ndarray, A: np.ndarray, B: np.ndarray) -> bool:
    """Whether a raw gemm on these buffers is safe: BLAS checks nothing itself.

    Same dtype, 2-D, C-ordered, aligned, ``C`` writeable and apart from ``A`` and
    ``B`` (gemm into its own input gives garbage), and shapes that agree (a wrong
    size would read or write past the buffers). Anything else goes through NumPy,
    which copies as needed or raises its own error.
    """
    return (
        A.dtype == B.dtype == C.dtype
        and A.ndim == B.ndim == C.ndim == 2
        and A.shape[0] == B.shape[0]
        and C.shape == (A.shape[1], B.shape[1])
        and A.flags.c_contiguous
        and B.flags.c_contiguous
        and C.flags.c_contiguous
        and A.flags.aligned
        and B.flags.aligned
        and C.flags.aligned
        and C.flags.writeable
        and not np.may_share_memory(C, A)
        and not np.may_share_memory(C, B)
    )


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
#: Below this many elements a pass over ``C`` costs less than the foreign call.
_GEMM_MIN_SIZE = 16384
_GEMM: dict[str, Callable | None] = {}
#: BLAS's letter for each NumPy dtype character it serves.
_BLAS_CODES = {"f": "s", "d": "d"}


def _cblas_gemm(dtype: np.dtype) -> Callable | None:
    """``cblas_?gemm`` from the OpenBLAS inside NumPy's wheel, checked once; else None.

    NumPy's wheels ship a 64-bit-integer OpenBLAS whose symbols carry the
    ``scipy_`` prefix and ``64_`` suffix. Anything else (another build, another
    platform, a library that will not load, a result that does not match
    ``np.matmul``) falls back to NumPy.
    """
    dtype = np.dtype(dtype)
    code = _BLAS_CODES.get(dtype.char) if dtype.isnative else None  # BLAS reads native order
    if code is None:
        return None
    if code not in _GEMM:
        _GEMM[code] = _load_gemm(code)
    return _GEMM[code]


def _load_gemm(code: str) -> Callable | None:
    import ctypes
    import glob
    import os

    real = ctypes.c_float if code == "s" else ctypes.c_double
    size = ctypes.c_int64
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "*openblas64*"))):
        try:
            fn = getattr(ctypes.CDLL(path), f"scipy_cblas_{code}gemm64_")
            fn.restype = None
            fn.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_int,
                size,
                size,
                size,
                real,
                ctypes.c_void_p,
                size,
                ctypes.c_void_p,
                size,
                real,
                ctypes.c_void_p,
                size,
            ]
            if _gemm_agrees(fn, np.float32 if code == "s" else np.float64):
                return fn
        except (OSError, AttributeError, ctypes.ArgumentError):
            continue
    return None


def _gemm_agrees(fn: Callable, dtype: type) -> bool:
    rng = np.random.default_rng(0)
    A: np.ndarray = rng.random((5, 3)).astype(dtype)
    B: np.ndarray = rng.random((5, 4)).astype(dtype)
    C: np.ndarray = rng.random((3, 4)).astype(dtype)
    expected = C - 0.5 * (A.T @ B)
    fn(
        _ROW_MAJOR,
        _TRANS,
        _NO_TRANS,
        3,
        4,
        5,
        -0.5,
        A.ctypes.data,
        3,
        B.ctypes.data,
        4,
        1.0,
        C.ctypes.data,
        4,
    )
    return bool(np.allclose(C, expected, rtol=1e-5))
