"""Resizing a hidden layer's parameter-shaped arrays: the remap model and optimisers share.

:meth:`core.nn.model.MLP.resize_hidden` decides which units stay (an ``index``);
this applies that index to the weights and biases and, with the same call, to an
optimiser's state arrays, so both keep following the same units.
"""

from __future__ import annotations

import numpy as np


def remap_hidden(
    arrays: list[np.ndarray], layer: int, index: np.ndarray, fresh_in: np.ndarray | None = None
) -> list[np.ndarray]:
    """Apply a unit ``index`` (see :meth:`MLP.resize_hidden`) to parameter-shaped arrays.

    Columns of W_layer, entries of b_layer and rows of W_{layer+1} are gathered by
    ``index``; new units (-1) get ``fresh_in`` as incoming weights (zeros when
    None: optimiser state), zero bias and zero outgoing weights.
    """
    out = list(arrays)
    new = index < 0
    keep = np.where(new, 0, index)
    W_in, b, W_out = arrays[2 * layer], arrays[2 * layer + 1], arrays[2 * layer + 2]
    W_in2 = W_in[:, keep]
    b2 = b[keep]
    W_out2 = W_out[keep, :]
    if new.any():
        W_in2[:, new] = 0 if fresh_in is None else fresh_in
        b2[new] = 0
        W_out2[new, :] = 0
    out[2 * layer], out[2 * layer + 1], out[2 * layer + 2] = (
        np.ascontiguousarray(W_in2),
        b2,
        np.ascontiguousarray(W_out2),
    )
    return out
