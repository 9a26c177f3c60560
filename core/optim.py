"""Optimisers: how a gradient becomes a parameter update, all in place.

Each keeps per-parameter state arrays shaped like the parameters (velocity,
squared-gradient averages), so the same ``remap_hidden`` that resizes the model
resizes the state, and a checkpoint can save it as plain arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.model import remap_hidden


class Optimizer:
    """Base: a mutable ``learning_rate`` and named lists of state arrays."""

    name = ""
    #: Names of the per-parameter state lists this optimiser keeps.
    slots: tuple[str, ...] = ()

    def __init__(self, params: Sequence[np.ndarray], learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)
        self.t = 0
        self.state: dict[str, list[np.ndarray]] = {
            s: [np.zeros_like(p) for p in params] for s in self.slots
        }

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``."""
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self._update(i, p, g)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def remap(self, layer: int, index: np.ndarray) -> None:
        """Follow a ``resize_hidden`` of ``layer``: new units start with zero state."""
        for s, arrays in self.state.items():
            self.state[s] = remap_hidden(arrays, layer, index)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array mapping (for checkpoints), plus the step count."""
        out = {f"{s}.{i}": a for s, arrays in self.state.items() for i, a in enumerate(arrays)}
        out["t"] = np.asarray(self.t, dtype=np.int64)
        return out

    def load_state_arrays(
        self, arrays: dict[str, np.ndarray], params: Sequence[np.ndarray]
    ) -> None:
        """Inverse of :meth:`state_arrays`; shapes must match ``params``."""
        self.t = int(arrays["t"])
        for s in self.slots:
            self.state[s] = [
                np.array(arrays[f"{s}.{i}"], dtype=p.dtype).reshape(p.shape)
                for i, p in enumerate(params)
            ]


class SGD(Optimizer):
    """p -= lr * g"""

    name = "sgd"

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        g *= p.dtype.type(-self.learning_rate)
        p += g


class Momentum(Optimizer):
    """v = mu * v - lr * g;  p += v   (heavy ball)."""

    name = "momentum"
    slots = ("velocity",)

    def __init__(self, params, learning_rate: float, momentum: float = 0.9) -> None:
        super().__init__(params, learning_rate)
        self.momentum = float(momentum)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        v = self.state["velocity"][i]
        v *= p.dtype.type(self.momentum)
        g *= p.dtype.type(self.learning_rate)
        v -= g
        p += v


class Nesterov(Momentum):
    """Nesterov momentum in the form that needs no look-ahead gradient:
    v = mu * v - lr * g;  p += mu * v - lr * g."""

    name = "nesterov"

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        v = self.state["velocity"][i]
        mu = p.dtype.type(self.momentum)
        g *= p.dtype.type(self.learning_rate)
        v *= mu
        v -= g
        p += mu * v
        p -= g


class RMSprop(Optimizer):
    """s = rho * s + (1 - rho) * g^2;  p -= lr * g / (sqrt(s) + eps)."""

    name = "rmsprop"
    slots = ("sq",)

    def __init__(self, params, learning_rate: float, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(params, learning_rate)
        self.rho, self.eps = rho, eps

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        s = self.state["sq"][i]
        t = p.dtype.type
        s *= t(self.rho)
        s += t(1 - self.rho) * g * g
        p -= t(self.learning_rate) * g / (np.sqrt(s) + t(self.eps))


class Adam(Optimizer):
    """Adam with bias correction: m, v are running means of g and g^2."""

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self, params, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        m, v = self.state["m"][i], self.state["v"][i]
        t = p.dtype.type
        m *= t(self.beta1)
        m += t(1 - self.beta1) * g
        v *= t(self.beta2)
        g *= g
        g *= t(1 - self.beta2)
        v += g
        step = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        p -= t(step) * m / (np.sqrt(v) + t(self.eps))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    c.name: c for c in (SGD, Momentum, Nesterov, RMSprop, Adam)
}


def make_optimizer(
    name: str, params: Sequence[np.ndarray], learning_rate: float, momentum: float = 0.9
) -> Optimizer:
    """The optimiser called ``name`` (see ``core.config.OPTIMIZERS``) over ``params``."""
    cls = OPTIMIZERS[name]
    if issubclass(cls, Momentum):
        return cls(params, learning_rate, momentum=momentum)
    return cls(params, learning_rate)
