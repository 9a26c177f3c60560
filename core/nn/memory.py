"""What training a network will take in memory, worked out before anything is allocated.

For ``sizes = (n_in, h1, ..., n_out)``, item size ``s`` bytes, batch ``m``, ``k``
optimiser state arrays per parameter and ``P = sum(fan_in * fan_out + fan_out)``
parameters (the same count as ``MLP.n_parameters``)::

    parameters            P s
    optimiser state       k P s
    last-good copies      2 (1 + k) P s       (the Trainer's divergence safety net)
    gradients             2 P s               (the epoch's last batch, and gradient buffers)
    batch buffers         m (n_in + 2 sum(h) + n_out) s      ( + 2 m sum(h) s with dropout)
    inference             c (sum(h) + 2 n_out) s              (c = 4096-row chunks)

:func:`require_training` compares the sum with the memory available
(:func:`core.guard.memory.require`) and refuses with the estimate, its largest
parts and the figures to change, before the model is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from core.guard.memory import format_bytes, require

#: Rows the inference passes (validation, evaluation, prediction) take at a time.
INFERENCE_CHUNK = 4096
#: Per-parameter state arrays of each optimiser.
STATE_ARRAYS = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adam": 2}


def training_bytes(
    sizes: Sequence[int],
    dtype: str | np.dtype,
    optimizer: str = "sgd",
    batch_size: int = 0,
    *,
    dropout: bool = False,
    built: bool = False,
) -> dict[str, int]:
    """The estimate above, part by part (bytes); ``batch_size`` 0 leaves out the batch,
    ``built`` the parameters and optimiser state (they exist already)."""
    s = np.dtype(dtype).itemsize
    sizes = [int(n) for n in sizes]
    k = STATE_ARRAYS.get(optimizer, 2)
    P = sum(a * b + b for a, b in itertools.pairwise(sizes))
    hidden = sum(sizes[1:-1])
    m = int(batch_size)
    return {
        "parameters": 0 if built else P * s,
        "optimiser state": 0 if built else k * P * s,
        "last-good copies": 2 * (1 + k) * P * s,
        "gradients": 2 * P * s,
        "batch buffers": m
        * (sizes[0] + 2 * hidden + sizes[-1] + (2 * hidden if dropout else 0))
        * s,
        "inference": INFERENCE_CHUNK * (hidden + 2 * sizes[-1]) * s if m else 0,
    }


def describe_network(
    sizes: Sequence[int], dtype: str | np.dtype, optimizer: str, batch: int
) -> str:
    """``"a 64-8192-...-10 float64 network with adam at batch 1,317"``."""
    arch = "-".join(map(str, sizes))
    if len(arch) > 60:  # eight layers of 8192 read better counted
        hidden = sizes[1:-1]
        widths = f"{len(hidden)}x{hidden[0]}" if len(set(hidden)) == 1 else f"{len(hidden)} layers"
        arch = f"{sizes[0]}-[{widths}]-{sizes[-1]}"
    at = f" at batch {batch:,}" if batch else ""
    return f"a {arch} {np.dtype(dtype).name} network with {optimizer}{at}"


def require_training(
    sizes: Sequence[int],
    dtype: str | np.dtype,
    optimizer: str = "sgd",
    batch_size: int = 0,
    *,
    dropout: bool = False,
    built: bool = False,
) -> int:
    """Refuse (``ConfigError``) a network that will not fit in memory; returns the estimate."""
    parts = training_bytes(sizes, dtype, optimizer, batch_size, dropout=dropout, built=built)
    total = sum(parts.values())
    largest = sorted(((v, k) for k, v in parts.items() if v), reverse=True)[:3]
    shares = ", ".join(f"{name} {format_bytes(v)}" for v, name in largest)
    require(
        total,
        f"{describe_network(sizes, dtype, optimizer, batch_size)} ({shares})",
        advice="use fewer or narrower hidden layers, a smaller batch, float32 or plain sgd",
    )
    return total
