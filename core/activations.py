"""Hidden-layer activations, each a forward and its derivative side by side.

``backward(dA, Z, A)`` returns dL/dZ given dL/dA, the pre-activation Z and the
activation A = forward(Z); each derivative uses whichever of Z or A is cheaper.
They may overwrite ``dA`` (it is a temporary of the backward pass).
"""

from __future__ import annotations

import numpy as np


class Activation:
    """An element-wise non-linearity. Shapes: Z, A, dA are all (n, units)."""

    name = ""
    #: Initialisation that keeps the variance of activations steady through depth.
    init = "xavier"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ReLU(Activation):
    name = "relu"
    init = "he"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0, out=Z)

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        # ReLU'(z) = 1 where z > 0; A > 0 exactly there, and A is what the forward kept.
        return np.multiply(dA, A > 0, out=dA)


class LeakyReLU(Activation):
    name = "leaky_relu"
    init = "he"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = slope

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, Z, Z * Z.dtype.type(self.slope))

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, dA, dA * dA.dtype.type(self.slope))


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # 0.5 * (1 + tanh(z / 2)) is sigmoid without overflow in exp for large |z|.
        half = Z.dtype.type(0.5)
        return np.tanh(Z * half) * half + half

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        return dA * A * (1 - A)


class Tanh(Activation):
    name = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z)

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        return dA * (1 - A * A)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)
}


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (see ``core.config.ACTIVATIONS``)."""
    return ACTIVATIONS[name]()
