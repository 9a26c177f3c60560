"""Hidden-layer activations, each a forward and its derivative side by side.

Both work in place, because they run on every batch on buffers the training loop
owns: ``forward(Z)`` turns the pre-activation ``Z`` into ``A = f(Z)`` in ``Z``'s own
memory, and ``backward(dA, A)`` turns dL/dA into dL/dZ = f'(Z) * dL/dA in ``dA``'s
memory. Every derivative here can be written from the output ``A`` alone (ReLU and
LeakyReLU keep the sign of z, sigmoid' = A(1 - A), tanh' = 1 - A²), so ``Z`` need not
be kept.
"""

from __future__ import annotations

import numpy as np

from core.errors import ConfigError


class Activation:
    """An element-wise non-linearity. Shapes: Z, A, dA are all ``(n, units)``."""

    name = ""
    #: Initialisation that keeps the variance of activations steady through depth.
    init = "xavier"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """``f(Z)``, written over ``Z`` and returned."""
        raise NotImplementedError

    def backward(self, dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        """``f'(Z) * dA`` from ``A = f(Z)``, written over ``dA`` and returned."""
        raise NotImplementedError


class ReLU(Activation):
    """max(z, 0): cheap, and its gradient neither fades nor explodes for z > 0."""

    name = "relu"
    init = "he"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0, out=Z)

    def backward(self, dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        # ReLU'(z) = 1 exactly where A > 0.
        return np.multiply(dA, A > 0, out=dA)


class LeakyReLU(Activation):
    """max(z, slope * z) for 0 < slope < 1: a ReLU whose units cannot die."""

    name = "leaky_relu"
    init = "he"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = slope

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, Z * Z.dtype.type(self.slope), out=Z)

    def backward(self, dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        # The slope keeps the sign of z, so A > 0 exactly where z > 0.
        t = dA.dtype.type
        return np.multiply(dA, np.where(A > 0, t(1), t(self.slope)), out=dA)


class Sigmoid(Activation):
    """1 / (1 + exp(-z)), computed as 0.5 * (1 + tanh(z / 2)) so exp never overflows."""

    name = "sigmoid"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        half = Z.dtype.type(0.5)
        Z *= half
        np.tanh(Z, out=Z)
        Z *= half
        Z += half
        return Z

    def backward(self, dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        dA *= A
        dA *= 1 - A
        return dA


class Tanh(Activation):
    name = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=Z)

    def backward(self, dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        slope = np.square(A)
        np.subtract(1, slope, out=slope)
        dA *= slope
        return dA


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)
}


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (see ``core.training.config.ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ConfigError(
            f"activation: {name!r} is not allowed; choose one of {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]()
