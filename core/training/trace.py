"""One example through the network and back, with every number of backpropagation kept.

Training needs only the gradients; a person learning where they come from wants
every quantity on the way. :func:`trace` sends one example through a model, forward
and backward, and keeps them all in a frozen :class:`Trace`. The maths is the
training step's (:meth:`core.nn.model.MLP.loss_and_grads` on a batch of one, with
no L2 and no dropout), written as the seed's equations, with ``X`` the example as
a row ``(1, n_in)``, ``Y`` its one-hot label, ``f`` the hidden activation and ``L``
layers::

    Z1 = X W1 + b1                 A1 = f(Z1)
    Zl = A(l-1) Wl + bl            Al = f(Zl)               l = 2 .. L-1
    ZL = A(L-1) WL + bL            P  = softmax(ZL)         the logits and probabilities
    loss = -log P[y]

    dZL = P - Y                                             softmax fused with cross-entropy
    dWl = A(l-1)ᵀ dZl              dbl = dZl                for one row, an outer product
    dA(l-1) = dZl Wlᵀ              dZ(l-1) = dA(l-1) ⊙ f'(Z(l-1))
    dW1 = Xᵀ dZ1                   dX = dZ1 W1ᵀ             dX: the input gradient dL/dX

The activation and its derivative are the model's own (``core.nn.activations``), so
a trace is what training computes, number for number, in the model's dtype.

Indexing: the per-layer tuples are 0-based, so ``Z[l]``, ``dW[l]`` hold layer
``l + 1`` of the equations (``Z[0]`` is Z1, ``dW[0]`` is dW1 ``(n_in, h1)``), and
``A[-1]`` is P. ``dA`` and ``fprime`` exist for the hidden layers only.

A trace holds read-only copies of everything, the parameters it was taken with
included, so it can cross threads and outlive the model: the window traces in a
worker and shows the result in the GUI thread while training goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np

from core.errors import ConfigError, DataError
from core.nn.activations import get_activation
from core.nn.model import MLP
from core.training.config import Config
from core.training.events import Snapshot, frozen

#: How the equations name each activation f.
ACTIVATION_SYMBOLS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "sigmoid": "σ", "tanh": "tanh"}

#: A step's numbers: an array of the trace or a scalar (the sum of the exponentials, the loss).
Value: TypeAlias = np.ndarray | float
Operand: TypeAlias = tuple[str, Value]
Phase: TypeAlias = Literal["forward", "backward"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One equation of a trace, with this example's numbers.

    ``symbol`` names what the step computes (``"Z1"``, ``"P"``, ``"dW2"``);
    ``equation`` is its line in the seed's notation (``"Z1 = X W1 + b1"``); ``layer``
    is the 1-based layer it belongs to (the softmax and the loss belong to the
    output layer L); ``value`` is the result and ``operands`` the named right-hand
    sides, each an array of the trace (read-only) or a float.
    """

    phase: Phase
    layer: int
    symbol: str
    equation: str
    value: Value
    operands: tuple[Operand, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEffect:
    """What one plain SGD step on a single example does (see :meth:`Trace.learn`).

    ``before`` is the trace the step was taken from and ``after`` the same example
    traced through the model after the step, so ``after.probs``, ``after.loss``
    and ``after.template(j, shape)`` sit beside the ones before. The loss and
    accuracy on a validation set, before and after, are there when one was given
    (``None`` otherwise).
    """

    learning_rate: float
    before: Trace
    after: Trace
    val_loss_before: float | None = None
    val_acc_before: float | None = None
    val_loss_after: float | None = None
    val_acc_after: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """Every forward and backward quantity of one example (see the module's equations).

    Vectors are the single row of the seed's ``(1, n)`` matrices, stored ``(n,)``;
    weight gradients are ``(fan_in, fan_out)`` like the weights. With ``L`` layers:

    - ``x`` ``(n_in,)`` is X, in the model's dtype; ``label`` is y, ``target`` Y.
    - ``params`` are the parameters traced ``[W1, b1, ..., WL, bL]``.
    - ``Z`` (L vectors): pre-activations, ``Z[-1]`` the logits; ``A`` (L vectors):
      activations, ``A[-1]`` the probabilities P.
    - ``shifted`` is ``Z[-1] - max(Z[-1])``, ``exp`` its exponential and
      ``exp_sum`` their sum, so ``P = exp / exp_sum``: the softmax step by step.
    - ``loss`` is ``-log P[y]``, computed as ``log(exp_sum) - shifted[y]``.
    - ``dZ``, ``dW``, ``db`` (L each): the backward pass; ``db[l]`` is ``dZ[l]``.
    - ``dA`` and ``fprime`` (L - 1 each, hidden layers only): the error reaching
      each hidden layer's outputs and f'(Z) there, with ``dZ[l] = dA[l] * fprime[l]``.
    - ``dX`` ``(n_in,)``: dL/dX, which pixels would raise the loss.
    """

    x: np.ndarray
    label: int
    activation: str
    params: tuple[np.ndarray, ...]
    Z: tuple[np.ndarray, ...]
    A: tuple[np.ndarray, ...]
    shifted: np.ndarray
    exp: np.ndarray
    exp_sum: float
    loss: float
    target: np.ndarray
    dZ: tuple[np.ndarray, ...]
    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray, ...]
    dA: tuple[np.ndarray, ...]
    fprime: tuple[np.ndarray, ...]
    dX: np.ndarray

    # -- what it is a trace of -------------------------------------------------
    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths ``(n_in, h1, ..., n_out)``."""
        return (self.x.shape[0], *(z.shape[0] for z in self.Z))

    @property
    def n_layers(self) -> int:
        return len(self.Z)

    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        return self.params[0::2]

    @property
    def biases(self) -> tuple[np.ndarray, ...]:
        return self.params[1::2]

    @property
    def grads(self) -> tuple[np.ndarray, ...]:
        """``[dW1, db1, ...]``, ordered like ``params`` (and ``MLP.loss_and_grads``)."""
        return tuple(g for pair in zip(self.dW, self.db, strict=True) for g in pair)

    # -- the output --------------------------------------------------------------
    @property
    def logits(self) -> np.ndarray:
        """``Z[-1]`` ``(n_out,)``."""
        return self.Z[-1]

    @property
    def max_logit(self) -> float:
        """The largest logit, subtracted before ``exp`` so that it never overflows."""
        return float(self.Z[-1].max())

    @property
    def probs(self) -> np.ndarray:
        """P ``(n_out,)``, the softmax of the logits."""
        return self.A[-1]

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.A[-1]))

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    # -- pictures ----------------------------------------------------------------
    def template(self, unit: int, shape: Sequence[int]) -> np.ndarray:
        """Column ``unit`` of W1 as an image of ``shape``: what that first-layer unit looks for.

        A read-only view, no copy. With no hidden layer the units are the classes.
        """
        return self.weights[0][:, self._unit(unit)].reshape(self._image_shape(shape))

    def update_image(self, unit: int, shape: Sequence[int]) -> np.ndarray:
        """Column ``unit`` of dW1 as an image of ``shape`` (a read-only view).

        For one example ``dW1[:, j] = X * dZ1[j]``: the digit itself, scaled by the
        error at unit j. A step subtracts ``learning_rate`` times it from template j.
        """
        return self.dW[0][:, self._unit(unit)].reshape(self._image_shape(shape))

    def update_images(self, shape: Sequence[int]) -> np.ndarray:
        """Every unit's :meth:`update_image`, ``(h1, *shape)``, as one read-only view."""
        return self.dW[0].T.reshape(self.dW[0].shape[1], *self._image_shape(shape))

    def _unit(self, unit: int) -> int:
        width = self.dW[0].shape[1]
        if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
            raise ConfigError(f"unit: {unit!r} is not a unit index; an integer 0 to {width - 1}")
        if not 0 <= unit < width:
            raise ConfigError(f"unit: {unit} is out of range; allowed 0 to {width - 1}")
        return int(unit)

    def _image_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        dims = tuple(int(d) for d in shape)
        if any(d < 1 for d in dims) or int(np.prod(dims)) != self.x.shape[0]:
            raise ConfigError(
                f"shape: {dims} does not hold the {self.x.shape[0]} inputs of this network"
            )
        return dims

    # -- one step on this example ---------------------------------------------
    def model(self) -> MLP:
        """A new inference model with the parameters traced (a copy)."""
        return MLP.from_params(self.params, self.activation)

    def apply(self, learning_rate: float) -> MLP:
        """A NEW model: the parameters traced after one plain SGD step on this example alone.

        ``Wl <- Wl - learning_rate * dWl`` and ``bl <- bl - learning_rate * dbl`` on a
        copy (``MLP.from_params``): the model or Snapshot that was traced never
        changes, nor does this trace. ``learning_rate`` is checked like the
        config's, in (0, 100].

        Training averages the gradients of a batch of m examples, so this example's
        share of one batch step is ``apply(learning_rate / m)``; the run's full rate
        on one example is a far larger step, which can win this example and lose
        validation accuracy (:meth:`learn` shows both).
        """
        lr = Config.check_value("learning_rate", learning_rate)
        model = self.model()
        eta = model.dtype.type(lr)
        for p, g in zip(model.params, self.grads, strict=True):
            p -= eta * g
        return model

    def learn(
        self,
        learning_rate: float,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> StepEffect:
        """ "Learn from this digit": :meth:`apply`, then trace the example again.

        With a validation set ``X_val`` ``(n, n_in)``, ``y_val`` ``(n,)`` also its loss
        and accuracy before and after the step (two inference passes over it, the
        bulk of the cost: see bench/). The result is a frozen value, safe to hand
        to the GUI thread.
        """
        val = None
        if X_val is not None or y_val is not None:
            val = _validation_set(X_val, y_val, self.sizes)
        model = self.apply(learning_rate)
        scores: dict[str, float] = {}
        if val is not None:
            scores["val_loss_before"], scores["val_acc_before"] = self.model().evaluate(*val)
            scores["val_loss_after"], scores["val_acc_after"] = model.evaluate(*val)
        return StepEffect(
            learning_rate=float(learning_rate),
            before=self,
            after=trace(model, self.x, self.label),
            **scores,
        )

    # -- the walk through, in the order of the computation -------------------------
    def steps(self) -> tuple[Step, ...]:
        """Every equation of this trace with its numbers, forward then backward.

        Each operand is X, Y, a parameter, a constant of the softmax, or the result
        of an earlier step, so a view can walk them in order and show each beside
        the numbers it came from.
        """
        L = self.n_layers
        f = ACTIVATION_SYMBOLS.get(self.activation, "f")
        out: list[Step] = []

        def add(
            phase: Phase, layer: int, symbol: str, equation: str, value: Value, *ops: Operand
        ) -> None:
            out.append(
                Step(
                    phase=phase,
                    layer=layer,
                    symbol=symbol,
                    equation=f"{symbol} = {equation}",
                    value=value,
                    operands=tuple(ops),
                )
            )

        def a(k: int) -> tuple[str, np.ndarray]:
            """A_k by name, with A0 = X."""
            return ("X", self.x) if k == 0 else (f"A{k}", self.A[k - 1])

        for k in range(1, L + 1):
            (prev, value), W, b = a(k - 1), self.weights[k - 1], self.biases[k - 1]
            add(
                "forward",
                k,
                f"Z{k}",
                f"{prev} W{k} + b{k}",
                self.Z[k - 1],
                (prev, value),
                (f"W{k}", W),
                (f"b{k}", b),
            )
            if k < L:
                add("forward", k, f"A{k}", f"{f}(Z{k})", self.A[k - 1], (f"Z{k}", self.Z[k - 1]))
        z = (f"Z{L}", self.Z[-1])
        add("forward", L, "S", f"Z{L} − max(Z{L})", self.shifted, z, (f"max(Z{L})", self.max_logit))
        add("forward", L, "E", "exp(S)", self.exp, ("S", self.shifted))
        add("forward", L, "Σ", "sum(E)", self.exp_sum, ("E", self.exp))
        add("forward", L, "P", "E / Σ", self.probs, ("E", self.exp), ("Σ", self.exp_sum))
        add(
            "forward",
            L,
            "loss",
            f"−log P[{self.label}] = log Σ − S[{self.label}]",
            self.loss,
            ("P", self.probs),
            ("Σ", self.exp_sum),
            ("S", self.shifted),
        )
        add("backward", L, f"dZ{L}", "P − Y", self.dZ[-1], ("P", self.probs), ("Y", self.target))
        for k in range(L, 0, -1):
            (prev, value), dz = a(k - 1), (f"dZ{k}", self.dZ[k - 1])
            add("backward", k, f"dW{k}", f"{prev}ᵀ dZ{k}", self.dW[k - 1], (prev, value), dz)
            add("backward", k, f"db{k}", f"dZ{k}", self.db[k - 1], dz)
            w = (f"W{k}", self.weights[k - 1])
            if k == 1:
                add("backward", 1, "dX", "dZ1 W1ᵀ", self.dX, dz, w)
                break
            j = k - 1
            add("backward", j, f"dA{j}", f"dZ{k} W{k}ᵀ", self.dA[j - 1], dz, w)
            add(
                "backward",
                j,
                f"dZ{j}",
                f"dA{j} ⊙ {f}'(Z{j})",
                self.dZ[j - 1],
                (f"dA{j}", self.dA[j - 1]),
                (f"{f}'(Z{j})", self.fprime[j - 1]),
            )
        return tuple(out)


def trace(model: MLP | Snapshot, x: np.ndarray, label: int) -> Trace:
    """One example ``x`` ``(n_in,)`` of class ``label`` forward and backward through ``model``.

    ``model`` is an :class:`~core.nn.model.MLP`, or a training
    :class:`~core.training.events.Snapshot`: its ``params`` and ``activation`` are
    traced directly (the same as tracing ``MLP.from_params(snap.params,
    snap.activation)``, without the extra copy), which is how the window follows
    a run it must not touch. The model's L2 and dropout settings are left out:
    this is one example's own gradient.

    ``x`` is one input as the model was trained on it (a Dataset row: pixels in
    [0, 1]); any array of ``n_in`` numbers is taken, so a ``(28, 28)`` image
    flattens row by row like the Dataset's rows. A wrong size, NaN or infinite
    values, or a label outside ``0 .. n_out - 1`` raise
    :class:`~core.errors.DataError`.
    """
    params, activation = _parameters(model)
    act = get_activation(activation)
    sizes = (params[0].shape[0], *(W.shape[1] for W in params[0::2]))
    L, dtype = len(sizes) - 1, params[0].dtype
    X = _example(x, sizes[0], dtype)
    y = _label(label, sizes[-1])

    # Forward: Zl = A(l-1) Wl + bl, then Al = f(Zl) on every hidden layer.
    Z: list[np.ndarray] = []
    A: list[np.ndarray] = []
    prev = X
    for l in range(L):
        z = prev @ params[2 * l]
        z += params[2 * l + 1]
        Z.append(z)
        if l < L - 1:
            prev = act.forward(z.copy())  # in place, like training: on a copy, to keep Z
            A.append(prev)
    # P = softmax(ZL), a step at a time; the shift changes nothing but overflow.
    shifted = Z[-1] - Z[-1].max()
    exp = np.exp(shifted)
    exp_sum = exp.sum()
    P = exp / exp_sum
    A.append(P)
    loss = float(np.log(exp_sum) - shifted[y])  # -log P[y], never a log of an underflowed 0
    Y = np.zeros(sizes[-1], dtype)
    Y[y] = 1

    # Backward: dZL = P - Y, then each layer's gradients and the error one layer down.
    # The lists fill from the output down and are reversed into layer order below.
    dZ: list[np.ndarray] = []
    dW: list[np.ndarray] = []
    dA: list[np.ndarray] = []
    fprime: list[np.ndarray] = []
    dz = P - Y
    for l in range(L - 1, -1, -1):
        dZ.append(dz)
        dW.append(np.outer(X if l == 0 else A[l - 1], dz))  # A(l-1)ᵀ dZl for a single row
        da = dz @ params[2 * l].T  # dA(l-1) = dZl Wlᵀ
        if l == 0:
            break
        dA.append(da)
        fprime.append(act.backward(np.ones_like(da), A[l - 1]))  # f'(Z) from A = f(Z)
        dz = act.backward(da.copy(), A[l - 1])  # dZ(l-1) = dA(l-1) ⊙ f'(Z(l-1))
    return Trace(
        x=X,
        label=y,
        activation=activation,
        params=tuple(frozen(p) for p in params),
        Z=tuple(_sealed(a) for a in Z),
        A=tuple(_sealed(a) for a in A),
        shifted=_sealed(shifted),
        exp=_sealed(exp),
        exp_sum=float(exp_sum),
        loss=loss,
        target=_sealed(Y),
        dZ=tuple(_sealed(a) for a in reversed(dZ)),
        dW=tuple(_sealed(a) for a in reversed(dW)),
        db=tuple(reversed(dZ)),  # db = dZ for one example: no rows to sum
        dA=tuple(_sealed(a) for a in reversed(dA)),
        fprime=tuple(_sealed(a) for a in reversed(fprime)),
        dX=_sealed(da),
    )


def _sealed(a: np.ndarray) -> np.ndarray:
    """``a``, made here and referenced nowhere else, marked read-only (no copy needed)."""
    a.setflags(write=False)
    return a


def _parameters(model: MLP | Snapshot) -> tuple[Sequence[np.ndarray], str]:
    """``([W1, b1, ...], activation)`` of a model or a Snapshot, checked to fit together."""
    params: Sequence[np.ndarray]
    if isinstance(model, MLP):
        params, activation = model.params, model.activation
    elif isinstance(model, Snapshot):
        params, activation = model.params, model.activation
        if not params:
            raise DataError(
                "snapshot: it carries no parameters (params is empty); nothing to trace"
            )
    else:
        raise ConfigError(f"model: expected an MLP or a Snapshot, got {type(model).__name__}")
    if len(params) % 2 or not params:
        raise DataError(f"params: {len(params)} arrays; expected pairs [W1, b1, W2, b2, ...]")
    width = None
    for k, (W, b) in enumerate(zip(params[0::2], params[1::2], strict=True), start=1):
        fits = (
            isinstance(W, np.ndarray)
            and isinstance(b, np.ndarray)
            and W.ndim == 2
            and b.shape == (W.shape[1],)
            and (width is None or W.shape[0] == width)
            and W.dtype == b.dtype == params[0].dtype
            and W.dtype in (np.float32, np.float64)
        )
        if not fits:
            raise DataError(
                f"params: W{k} {getattr(W, 'shape', W)!r} and b{k} {getattr(b, 'shape', b)!r} "
                "do not make a layer of this network (float32 or float64 W (fan_in, fan_out), "
                "b (fan_out,), fan_in the width of the layer below)"
            )
        width = W.shape[1]
    return params, activation


def _example(x: Any, n_in: int, dtype: np.dtype) -> np.ndarray:
    """``x`` as a fresh read-only ``(n_in,)`` vector of ``dtype``, or a DataError saying why not."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise DataError(f"x: not an array of numbers ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataError(f"x: expected numbers, got an array of {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise DataError("x: complex numbers are not pixels")
    if arr.size != n_in:
        raise DataError(
            f"x: shape {arr.shape} holds {arr.size} values; this network takes {n_in} "
            f"(a vector ({n_in},) or an image that flattens to it)"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise DataError(f"x: {bad} value(s) are NaN or infinite")
    return frozen(arr.reshape(n_in).astype(dtype, copy=False))


def _label(label: Any, n_out: int) -> int:
    if isinstance(label, np.ndarray) and label.ndim == 0:
        label = label[()]
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise DataError(f"label: {label!r} is not a class index; an integer 0 to {n_out - 1}")
    if not 0 <= label < n_out:
        raise DataError(f"label: {label} is out of range; allowed 0 to {n_out - 1}")
    return int(label)


def _validation_set(X: Any, y: Any, sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, n_in), y (n,))`` checked for :meth:`Trace.learn`, or a DataError."""
    if X is None or y is None:
        raise ConfigError("X_val and y_val: give both, or neither")
    X, y = np.asarray(X), np.asarray(y)
    n_in, n_out = sizes[0], sizes[-1]
    if X.ndim != 2 or X.shape[1] != n_in or not np.issubdtype(X.dtype, np.number):
        raise DataError(f"X_val: shape {X.shape} of {X.dtype}; expected numbers (n, {n_in})")
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            f"y_val: shape {y.shape} of {y.dtype}; expected {X.shape[0]} integer labels"
        )
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise DataError(f"y_val: labels run from {y.min()} to {y.max()}; allowed 0 to {n_out - 1}")
    if not np.all(np.isfinite(X)):
        raise DataError("X_val: some values are NaN or infinite")
    return X, y
