"""A multilayer perceptron in NumPy, forward and backward written out.

For layer l (1-based, L layers in all, X = A0)::

    Z_l = A_{l-1} @ W_l + b_l          W_l: (fan_in, fan_out), b_l: (fan_out,)
    H_l = f(Z_l)                       hidden layers
    A_l = H_l * mask_l / keep          inverted dropout, in training only
    P   = softmax(Z_L)                 output, fused with cross-entropy

and backward, with Y the one-hot labels and m the batch size::

    dZ_L = (P - Y) / m
    dW_l = A_{l-1}.T @ dZ_l + l2 * W_l      db_l = sum(dZ_l, axis=0)
    dA_{l-1} = dZ_l @ W_l.T                 dZ_{l-1} = f'(Z_{l-1}) * mask_{l-1} / keep * dA_{l-1}

With no hidden layer (``sizes = (n_in, n_out)``) this is softmax regression.

Parameters live in one flat list ``[W1, b1, W2, b2, ...]`` so that optimisers,
checkpoints and gradient checks treat them alike. Two ways to train on a batch:
:meth:`MLP.loss_and_grads` returns every gradient (for checks, norms and any
optimiser), and :meth:`MLP.train_batch` runs the same maths on preallocated
buffers and hands each layer's gradient to the optimiser as soon as it is known,
which is what the training loop uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.errors import ConfigError, DataError
from core.nn.activations import Activation, get_activation
from core.nn.initializers import INITIALIZERS
from core.nn.losses import softmax, softmax_cross_entropy
from core.nn.resize import remap_hidden

if TYPE_CHECKING:
    from core.nn.optim import Optimizer

#: Widest hidden layer a resize accepts (the same bound as ``Config.hidden``).
MAX_WIDTH = 8192


class _Workspace:
    """The buffers of one training step at batch size ``m``, reused batch after batch.

    ``Z[l]`` ``(m, n_l)`` holds layer l's pre-activation, then (in place) its
    activation H_l; ``dA[l]`` ``(m, n_l)`` the gradient flowing back into hidden
    layer l; ``db[l]`` the bias gradient ``ones @ dZ_l``; with dropout, ``A[l]``
    holds H_l * mask and ``mask[l]`` the scaled mask.
    """

    def __init__(self, sizes: Sequence[int], m: int, dtype: np.dtype, dropout: bool) -> None:
        hidden = sizes[1:-1]
        self.rows = np.arange(m)
        self.ones = np.ones(m, dtype)
        self.db = [np.empty(n, dtype) for n in sizes[1:]]
        # The logits are column-major: the softmax reduces over each row's k
        # entries, which then lie m apart and are combined column by column.
        self.Z = [np.empty((m, n), dtype) for n in sizes[1:-1]]
        self.Z.append(np.empty((m, sizes[-1]), dtype, order="F"))
        self.dA = [np.empty((m, n), dtype) for n in hidden]
        self.A = [np.empty((m, n), dtype) for n in hidden] if dropout else []
        self.mask = [np.empty((m, n), dtype) for n in hidden] if dropout else []


class MLP:
    """Fully connected network ``sizes = (n_in, h1, ..., n_out)`` with a softmax output."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        init: str = "auto",
        dropout: float = 0.0,
        l2: float = 0.0,
        dtype: str | np.dtype = "float32",
        seed: int | np.random.Generator = 0,
    ) -> None:
        self._configure(sizes, activation, init, dropout, l2, dtype, seed)
        draw = INITIALIZERS[self.init]
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.params.append(draw(self.rng, fan_in, fan_out, self.dtype))
            self.params.append(np.zeros(fan_out, dtype=self.dtype))

    def _configure(
        self,
        sizes: Sequence[int],
        activation: str,
        init: str,
        dropout: float,
        l2: float,
        dtype: str | np.dtype,
        seed: int | np.random.Generator,
    ) -> None:
        """Check and store every setting; the parameters are left to the caller."""
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ConfigError(f"sizes: {tuple(sizes)!r} needs an input and an output size >= 1")
        self.sizes = [int(s) for s in sizes]
        self.act: Activation = get_activation(activation)
        self.activation = activation
        if init not in ("auto", *INITIALIZERS):
            raise ConfigError(
                f"init: {init!r} is not allowed; choose one of auto, {', '.join(INITIALIZERS)}"
            )
        self.init = self.act.init if init == "auto" else init
        if not 0.0 <= float(dropout) <= 0.95:
            raise ConfigError(
                f"dropout: {dropout!r} is out of range; allowed a number in [0, 0.95]"
            )
        if not 0.0 <= float(l2) <= 1.0:
            raise ConfigError(f"l2: {l2!r} is out of range; allowed a number in [0, 1]")
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError(f"dtype: {dtype!r} is not allowed; choose one of float32, float64")
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._cache: tuple[list, list, list] | None = None
        self._workspaces: dict[tuple, _Workspace] = {}
        self._ws: _Workspace | None = None  # the buffers of the last forward(reuse=True)

    @classmethod
    def from_params(cls, params: Sequence[np.ndarray], activation: str = "relu") -> MLP:
        """An inference model around copies of ``params`` ``[W1, b1, ...]``.

        Nothing is drawn: a random initialisation thrown away at once would cost
        many times the copy (one normal draw per weight).
        """
        sizes = [params[0].shape[0]] + [W.shape[1] for W in params[0::2]]
        model = cls.__new__(cls)
        model._configure(sizes, activation, "auto", 0.0, 0.0, params[0].dtype, 0)
        model.params = [np.array(p, copy=True) for p in params]
        return model

    # -- structure ----------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(self.sizes[1:-1])

    @property
    def weights(self) -> list[np.ndarray]:
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        return self.params[1::2]

    @property
    def param_names(self) -> list[str]:
        return [f"{k}{i}" for i in range(1, self.n_layers + 1) for k in ("W", "b")]

    def n_parameters(self) -> int:
        return int(sum(p.size for p in self.params))

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        """``X`` as a C-contiguous ``(n, n_in)`` array of the model's dtype (no copy if it is)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise DataError(
                f"inputs: shape {X.shape} does not fit the network; expected (n, {self.sizes[0]})"
            )
        return np.ascontiguousarray(X, dtype=self.dtype)

    def _dropout(self, H: np.ndarray, mask: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Inverted dropout: ``out = H * mask`` with ``mask`` 0 or 1/keep, drawn into ``mask``."""
        keep = 1.0 - self.dropout
        self.rng.random(out=mask, dtype=self.dtype)
        kept = mask < keep
        np.multiply(kept, self.dtype.type(1.0 / keep), out=mask)
        return np.multiply(H, mask, out=out)

    # -- forward and backward ------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False, *, reuse: bool = False) -> np.ndarray:
        """Logits ``(n, n_out)`` for inputs ``(n, n_in)``.

        With ``training`` the intermediate values are kept for :meth:`backward` or
        :meth:`backward_step`, and inverted dropout is applied to the hidden layers'
        outputs. With ``reuse`` every intermediate, the logits included, lives in
        buffers kept for this batch size and overwritten by the next ``reuse`` call:
        the training loop allocates nothing per batch.
        """
        A = self._inputs(X)
        ws = self._ws = self._workspace(A.shape[0]) if reuse else None
        drop = training and self.dropout > 0
        inputs, hidden, masks = [], [], []
        last = self.n_layers - 1
        for l in range(self.n_layers):
            inputs.append(A)
            W, b = self.params[2 * l], self.params[2 * l + 1]
            Z = A @ W if ws is None else np.matmul(A, W, out=ws.Z[l])
            Z += b
            if l == last:
                break
            H = self.act.forward(Z)
            mask = None
            if drop:
                mask = np.empty_like(H) if ws is None else ws.mask[l]
                A = self._dropout(H, mask, np.empty_like(H) if ws is None else ws.A[l])
            else:
                A = H
            hidden.append(H)
            masks.append(mask)
        self._cache = (inputs, hidden, masks) if training else None
        return Z

    def forward_chunks(
        self, X: np.ndarray, batch_size: int = 4096
    ) -> Iterator[tuple[int, np.ndarray, list[np.ndarray]]]:
        """Inference over ``X`` ``(n, n_in)``, ``batch_size`` rows at a time.

        Yields ``(start, logits (c, n_out), hidden [(c, h1), (c, h2), ...])`` for rows
        ``start:start + c``: the hidden layers' outputs come along, so one pass can
        feed every figure taken on a set (loss, probabilities, hidden activity)
        while memory stays bounded by the chunk. The arrays are fresh for each chunk.
        """
        X = np.asarray(X)
        last = self.n_layers - 1
        for start in range(0, X.shape[0], batch_size):
            A = self._inputs(X[start : start + batch_size])
            hidden = []
            for l in range(self.n_layers):
                Z = A @ self.params[2 * l]
                Z += self.params[2 * l + 1]
                if l == last:
                    break
                A = self.act.forward(Z)
                hidden.append(A)
            yield start, Z, hidden

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy (+ L2 penalty) on a batch and the gradient of every parameter."""
        logits = self.forward(X, training=True)
        loss, dZ = softmax_cross_entropy(logits, y)
        loss += self.l2_penalty()
        return loss, self.backward(dZ)

    def backward(self, dZ: np.ndarray) -> list[np.ndarray]:
        """Gradients ``[dW1, db1, ...]`` from dL/dZ_L, using the last training forward."""
        return self._backward(dZ, want_input_grad=False)[0]

    def _backward(
        self, dZ: np.ndarray, want_input_grad: bool
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        inputs, hidden, masks = self._training_cache()
        grads: list[np.ndarray] = [dZ] * len(self.params)
        l2 = self.dtype.type(self.l2)
        for l in range(self.n_layers - 1, -1, -1):
            W = self.params[2 * l]
            dW = inputs[l].T @ dZ
            if self.l2:
                dW += l2 * W
            grads[2 * l] = dW
            grads[2 * l + 1] = dZ.sum(axis=0)
            if l == 0 and not want_input_grad:
                return grads, None
            dA = dZ @ W.T
            if l == 0:
                return grads, dA
            if masks[l - 1] is not None:
                dA *= masks[l - 1]
            dZ = self.act.backward(dA, hidden[l - 1])
        return grads, None

    def backward_step(self, dZ: np.ndarray, optimizer: Optimizer) -> None:
        """Backpropagate dL/dZ_L ``(m, n_out)`` and update every parameter with ``optimizer``.

        The same gradients as :meth:`backward` followed by ``optimizer.step``, but
        each layer's weight gradient goes to the optimiser as its factors
        ``(A_prev, dZ)`` (see ``Optimizer.update_weight``), which may fold it into
        the update without storing it, and dA is written into reused buffers.
        ``dZ`` is overwritten.
        """
        inputs, hidden, masks = self._training_cache()
        ws = self._ws if self._ws is not None else self._workspace(dZ.shape[0])
        optimizer.begin_step()
        for l in range(self.n_layers - 1, -1, -1):
            W = self.params[2 * l]
            if l:  # dA_{l-1} needs W_l before the update
                dA = np.matmul(dZ, W.T, out=ws.dA[l - 1])
            optimizer.update_weight(2 * l, W, inputs[l], dZ, self.l2)
            db = np.matmul(ws.ones, dZ, out=ws.db[l])  # sum over the batch, through BLAS
            optimizer.update(2 * l + 1, self.params[2 * l + 1], db)
            if l:
                if masks[l - 1] is not None:
                    dA *= masks[l - 1]
                dZ = self.act.backward(dA, hidden[l - 1])
        self._cache = None  # it described the parameters before the update

    def _training_cache(self) -> tuple[list, list, list]:
        if self._cache is None:
            raise RuntimeError("backward needs a forward(training=True) first")
        return self._cache

    def training_forward(self, X: np.ndarray, y: np.ndarray) -> tuple[float, int, np.ndarray]:
        """The forward half of a training step on the batch ``X`` ``(m, n_in)``, ``y`` ``(m,)``.

        Returns the mean cross-entropy (without L2), how many predictions were
        right, and dL/dlogits ``(m, n_out)`` for :meth:`backward_step` or
        :meth:`backward`, in a reused buffer. The loop that calls it decides
        between the two halves (a loss that blew up is never applied).
        """
        logits = self.forward(X, training=True, reuse=True)
        correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
        loss, dZ = softmax_cross_entropy(logits, y, rows=self._batch_rows())
        return loss, correct, dZ

    def train_batch(self, X: np.ndarray, y: np.ndarray, optimizer: Optimizer) -> float:
        """One step of ``optimizer`` on the batch ``X`` ``(m, n_in)``, ``y`` ``(m,)``.

        The training loop's step: forward on reused buffers, fused softmax and
        cross-entropy, then :meth:`backward_step`. Returns the batch loss (with the
        L2 penalty) before the step.
        """
        logits = self.forward(X, training=True, reuse=True)
        loss, dZ = softmax_cross_entropy(logits, y, rows=self._batch_rows())
        loss += self.l2_penalty()
        self.backward_step(dZ, optimizer)
        return loss

    def _batch_rows(self) -> np.ndarray | None:
        """``arange(m)`` of the workspace the last reusing forward filled."""
        return self._ws.rows if self._ws is not None else None

    def l2_penalty(self) -> float:
        """0.5 * l2 * sum of squared weights (biases are not decayed)."""
        if not self.l2:
            return 0.0
        return 0.5 * self.l2 * float(sum(np.vdot(W, W) for W in self.weights))

    def _workspace(self, m: int) -> _Workspace:
        key = (m, self.dropout > 0, tuple(self.sizes))
        ws = self._workspaces.get(key)
        if ws is None:
            if len(self._workspaces) >= 4:  # batch sizes change rarely; keep a few
                self._workspaces.clear()
            ws = self._workspaces[key] = _Workspace(self.sizes, m, self.dtype, key[1])
        return ws

    # -- inference ----------------------------------------------------------
    def predict_proba(self, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Class probabilities ``(n, n_out)``, computed in chunks to bound memory."""
        out = np.empty((np.shape(X)[0], self.sizes[-1]), dtype=self.dtype)
        for start, z, _ in self.forward_chunks(X, batch_size):
            out[start : start + z.shape[0]] = softmax(z)
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class indices ``(n,)``."""
        return self.predict_proba(X).argmax(axis=1)

    def evaluate(self, X: np.ndarray, y: np.ndarray, batch_size: int = 4096) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) on ``X``, ``y`` (int labels), without L2."""
        total, correct = 0.0, 0
        for start, logits, _ in self.forward_chunks(X, batch_size):
            yc = y[start : start + logits.shape[0]]
            correct += int(np.count_nonzero(logits.argmax(axis=1) == yc))
            loss, _ = softmax_cross_entropy(logits, yc, want_grad=False)
            total += loss * logits.shape[0]
        n = max(np.shape(X)[0], 1)
        return total / n, correct / n

    def input_gradient(self, X: np.ndarray, target: np.ndarray | int) -> np.ndarray:
        """d(logit of class ``target``)/dX, ``(n, n_in)``: the saliency of each input.

        Dropout is off; the gradient flows through the same backward pass used
        for training, so it is exact.
        """
        return self._to_input(X, target, log_prob=False)[1]

    def log_prob_gradient(
        self, X: np.ndarray, target: np.ndarray | int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities ``(n, k)`` at ``X`` and d log P(``target`` | x)/dX ``(n, n_in)``.

        ``d log softmax(z)_t / dz = onehot(t) - P``, sent back through the layers
        like a training gradient (dropout off). A step along it makes the network
        surer that the input is ``target`` while lowering every other class.
        """
        return self._to_input(X, target, log_prob=True)

    def _to_input(
        self, X: np.ndarray, target: np.ndarray | int, log_prob: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and the input gradient of a logit (or of its log-probability)."""
        saved, self.dropout = self.dropout, 0.0
        try:
            logits = self.forward(X, training=True)
            rows = np.arange(logits.shape[0])
            idx = np.broadcast_to(np.asarray(target), (logits.shape[0],))
            probs = softmax(logits.copy())
            dZ = -probs if log_prob else np.zeros_like(logits)
            dZ[rows, idx] += 1
            _, dX = self._backward(dZ, want_input_grad=True)
        finally:
            self.dropout = saved
            self._cache = None
        assert dX is not None  # asked for above
        return probs, dX

    # -- growing and shrinking ----------------------------------------------
    def resize_hidden(self, layer: int, new_size: int) -> np.ndarray:
        """Change the width of hidden layer ``layer`` (0-based), keeping what was learned.

        Widening appends units with fresh incoming weights and zero outgoing
        weights, so the network computes exactly the same function. Narrowing
        keeps the units whose outgoing weights have the largest norm: those the
        next layer listens to most.

        Returns ``index`` of length ``new_size``: the old unit each new unit came
        from, or -1 for a new unit. Pass it to the optimiser's ``remap`` so its
        state follows.
        """
        if not 0 <= layer < self.n_layers - 1:
            raise ConfigError(
                f"layer: {layer} is not a hidden layer of this network "
                f"(it has {self.n_layers - 1}; allowed 0 to {self.n_layers - 2})"
            )
        if isinstance(new_size, bool) or not 1 <= new_size <= MAX_WIDTH:
            raise ConfigError(f"hidden: {new_size!r} is out of range; allowed 1 to {MAX_WIDTH}")
        new_size = int(new_size)
        old = self.sizes[layer + 1]
        W_out = self.params[2 * layer + 2]
        if new_size >= old:
            index = np.concatenate([np.arange(old), np.full(new_size - old, -1)])
        else:
            norms = np.linalg.norm(W_out, axis=1)
            index = np.sort(np.argsort(-norms, kind="stable")[:new_size])
        fresh_in = INITIALIZERS[self.init](
            self.rng, self.sizes[layer], max(new_size - old, 0), self.dtype
        )
        self.params[:] = remap_hidden(self.params, layer, index, fresh_in)
        self.sizes[layer + 1] = new_size
        self._cache, self._ws = None, None
        self._workspaces.clear()
        return index
