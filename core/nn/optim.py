"""Optimisers: how a gradient becomes a parameter update, all in place.

Each keeps per-parameter state arrays shaped like the parameters (velocity,
squared-gradient averages), so the same ``remap_hidden`` that resizes the model
resizes the state, and a checkpoint can save it as plain arrays.

Two ways in. ``step(params, grads)`` takes finished gradients. The training loop
instead calls ``begin_step()`` and then, per layer, ``update_weight(i, W, A_prev,
dZ, l2)`` with the factors of the weight gradient ``g = A_prev.T @ dZ + l2 * W``,
and ``update(i, b, g)`` with a finished gradient (biases). SGD and momentum fold
``A_prev.T @ dZ`` straight into the weights or the velocity through one BLAS gemm
with ``beta = 1`` (:func:`add_outer`), so the weight gradient is never stored; the
others compute it into a reused buffer and apply their rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.errors import ConfigError
from core.nn.blas import add_outer
from core.nn.resize import remap_hidden


class Optimizer:
    """Base: a mutable ``learning_rate``, a step count ``t`` and named lists of state arrays."""

    name = ""
    #: Names of the per-parameter state lists this optimiser keeps.
    slots: tuple[str, ...] = ()

    def __init__(self, params: Sequence[np.ndarray], learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)
        self.t = 0
        self.state: dict[str, list[np.ndarray]] = {
            s: [np.zeros_like(p) for p in params] for s in self.slots
        }
        self._grad_buffers: dict[int, np.ndarray] = {}

    # -- whole steps ---------------------------------------------------------
    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every ``params[i]`` in place from ``grads[i]`` (which are overwritten)."""
        self.begin_step()
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self._update(i, p, g)

    def begin_step(self) -> None:
        """Start one step: counts it (Adam's bias correction depends on the count)."""
        self.t += 1

    # -- per-layer updates ------------------------------------------------------
    def update_weight(
        self, i: int, W: np.ndarray, A_prev: np.ndarray, dZ: np.ndarray, l2: float
    ) -> None:
        """Update ``W`` (param ``i``) with ``g = A_prev.T @ dZ + l2 * W``.

        ``A_prev`` ``(m, fan_in)``, ``dZ`` ``(m, fan_out)``, ``W`` ``(fan_in, fan_out)``.
        """
        g = self._grad_buffer(i, W)
        if l2:
            np.multiply(W, W.dtype.type(l2), out=g)
            add_outer(g, A_prev, dZ, 1.0)
        else:
            np.matmul(A_prev.T, dZ, out=g)
        self._update(i, W, g)

    def update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        """Update ``p`` (param ``i``) from its gradient ``g``, which may be overwritten."""
        self._update(i, p, g)

    def _grad_buffer(self, i: int, p: np.ndarray) -> np.ndarray:
        g = self._grad_buffers.get(i)
        if g is None or g.shape != p.shape or g.dtype != p.dtype:
            g = self._grad_buffers[i] = np.empty_like(p)
        return g

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        """The rule itself: update ``p`` from its gradient ``g`` (which may be overwritten)."""
        raise NotImplementedError

    # -- state ---------------------------------------------------------------
    def remap(self, layer: int, index: np.ndarray) -> None:
        """Follow a ``resize_hidden`` of ``layer``: new units start with zero state."""
        for s, arrays in self.state.items():
            self.state[s] = remap_hidden(arrays, layer, index)
        self._grad_buffers.clear()

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
        self._grad_buffers.clear()


class SGD(Optimizer):
    """p -= lr * g"""

    name = "sgd"

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        g *= p.dtype.type(-self.learning_rate)
        p += g

    def update_weight(
        self, i: int, W: np.ndarray, A_prev: np.ndarray, dZ: np.ndarray, l2: float
    ) -> None:
        # W - lr * (A.T dZ + l2 W) = (1 - lr l2) W - lr A.T dZ
        if l2:
            W *= W.dtype.type(1.0 - self.learning_rate * l2)
        add_outer(W, A_prev, dZ, -self.learning_rate, self._grad_buffer(i, W))


class Momentum(Optimizer):
    """v = mu * v - lr * g;  p += v   (heavy ball)."""

    name = "momentum"
    slots = ("velocity",)

    def __init__(
        self, params: Sequence[np.ndarray], learning_rate: float, momentum: float = 0.9
    ) -> None:
        super().__init__(params, learning_rate)
        self.momentum = float(momentum)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        v = self.state["velocity"][i]
        v *= p.dtype.type(self.momentum)
        g *= p.dtype.type(self.learning_rate)
        v -= g
        p += v

    def update_weight(
        self, i: int, W: np.ndarray, A_prev: np.ndarray, dZ: np.ndarray, l2: float
    ) -> None:
        t = W.dtype.type
        v = self.state["velocity"][i]
        v *= t(self.momentum)
        if l2:
            v -= t(self.learning_rate * l2) * W
        add_outer(v, A_prev, dZ, -self.learning_rate, self._grad_buffer(i, W))
        W += v


class Nesterov(Momentum):
    """Nesterov momentum in the form that needs no look-ahead gradient:
    v = mu * v - lr * g;  p += mu * v - lr * g."""

    name = "nesterov"

    # The look-ahead needs g itself twice, so the gradient is stored, not folded in.
    update_weight = Optimizer.update_weight

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        v = self.state["velocity"][i]
        mu = p.dtype.type(self.momentum)
        g *= p.dtype.type(self.learning_rate)
        v *= mu
        v -= g
        p -= g
        g[...] = v
        g *= mu
        p += g


class RMSprop(Optimizer):
    """s = rho * s + (1 - rho) * g^2;  p -= lr * g / (sqrt(s) + eps)."""

    name = "rmsprop"
    slots = ("sq",)

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float,
        rho: float = 0.9,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.rho, self.eps = rho, eps

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        s = self.state["sq"][i]
        t = p.dtype.type
        s *= t(self.rho)
        denom = np.square(g)
        denom *= t(1 - self.rho)
        s += denom
        np.sqrt(s, out=denom)
        denom += t(self.eps)
        g *= t(self.learning_rate)
        g /= denom
        p -= g


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction folded into the step size:

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;
    p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        m, v = self.state["m"][i], self.state["v"][i]
        t = p.dtype.type
        # m = b1 m + (1 - b1) g  written as  m = g + b1 (m - g): no temporary
        m -= g
        m *= t(self.beta1)
        m += g
        v *= t(self.beta2)
        g *= g
        g *= t(1 - self.beta2)
        v += g
        step = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        denom = np.sqrt(v, out=g)
        denom += t(self.eps)
        np.divide(m, denom, out=g)
        g *= t(step)
        p -= g


OPTIMIZERS: dict[str, type[Optimizer]] = {
    c.name: c for c in (SGD, Momentum, Nesterov, RMSprop, Adam)
}


#: A learning rate that usually works for each optimiser on these datasets: where the
#: window starts when the optimiser is chosen, and the most a divergence suggests.
TYPICAL_LR: dict[str, float] = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "rmsprop": 0.001,
    "adam": 0.001,
}


def make_optimizer(
    name: str, params: Sequence[np.ndarray], learning_rate: float, momentum: float = 0.9
) -> Optimizer:
    """The optimiser called ``name`` (see ``core.training.config.OPTIMIZERS``) over ``params``."""
    if name not in OPTIMIZERS:
        raise ConfigError(
            f"optimizer: {name!r} is not allowed; choose one of {', '.join(OPTIMIZERS)}"
        )
    if not float(learning_rate) > 0:
        raise ConfigError(f"learning_rate: {learning_rate!r} must be > 0")
    cls = OPTIMIZERS[name]
    if issubclass(cls, Momentum):
        return cls(params, learning_rate, momentum=momentum)
    return cls(params, learning_rate)
