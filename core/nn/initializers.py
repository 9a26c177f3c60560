"""Weight initialisation: the scale that keeps signals from fading or exploding.

Xavier/Glorot draws W ~ U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), keeping the
variance of activations and of gradients roughly constant for tanh and sigmoid.
He draws W ~ N(0, 2 / fan_in), compensating for ReLU zeroing half its inputs.
"""

from __future__ import annotations

import numpy as np


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int, dtype: np.dtype) -> np.ndarray:
    """(fan_in, fan_out) Glorot-uniform weights."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype, copy=False)


def he(rng: np.random.Generator, fan_in: int, fan_out: int, dtype: np.dtype) -> np.ndarray:
    """(fan_in, fan_out) He-normal weights."""
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(
        dtype, copy=False
    )


INITIALIZERS = {"xavier": xavier, "he": he}
