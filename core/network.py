"""The seed project's API: ``NeuralNetwork``, trained with one call.

    from core import NeuralNetwork

    nn = NeuralNetwork(input_size=784, hidden_size=128, output_size=10, learning_rate=0.1)
    nn.train(X_train, y_train, X_val, y_val, epochs=50, batch_size=128)
    nn.learning_rate = 0.01          # applies from the next call to train()
    nn.evaluate(X_test, y_test)      # -> (loss, accuracy)

It is a thin front over the engine: :meth:`NeuralNetwork.train` runs the same
:class:`core.training.trainer.Trainer` as the window and the command line (one training loop
in the whole project) on the arrays it is given, and prints the seed's per-epoch line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.data import Dataset
from core.errors import ConfigError, DataError, TrainingError
from core.guard.streams import SafeStream
from core.nn.memory import require_training
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import Diverged, EpochReport, Finished
from core.training.history import HistoryRow

#: The seed's per-epoch line.
EPOCH_LINE = "Epoch %3d: Train Loss: %.4f, Train Acc: %.4f, Val Loss: %.4f, Val Acc: %.4f"

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "learning_rate", "seconds")


class NeuralNetwork:
    """A multilayer perceptron with a softmax output, trained by mini-batch descent.

    ``NeuralNetwork(input_size=784, hidden_size=128, output_size=10,
    learning_rate=0.1)`` is the seed's 784-128-10 ReLU network trained with plain
    SGD. Optional keywords reach the rest of the engine: ``hidden_sizes`` (a list
    of widths, overrides ``hidden_size``) or ``depth`` (that many layers of
    ``hidden_size``; 0 gives softmax regression), ``activation`` ("relu",
    "leaky_relu", "sigmoid", "tanh"), ``optimizer`` ("sgd", "momentum",
    "nesterov", "rmsprop", "adam"), ``momentum``, ``init`` ("auto", "he",
    "xavier"), ``dropout``, ``l2``, ``schedule`` ("constant", "cosine", "step")
    with ``min_lr_ratio``, ``seed`` and ``dtype``. Bad values raise
    :class:`~core.errors.ConfigError` naming the setting and its allowed range.

    Data, wherever an ``X`` or ``y`` is taken:

    - ``X`` is ``(n, input_size)``, or ``(n, *image)`` images that flatten to
      ``input_size`` (e.g. ``(n, 28, 28)``). Pixels may be 0-255 or 0-1: if any
      value is above 1 the array is taken as 0-255 and divided by 255, otherwise
      it is used as it is. Decided per array, so pass whole sets, not a lone dark
      image in 0-255.
    - ``y`` is ``(n,)`` integer class labels in ``0 .. output_size - 1``, or
      ``(n, output_size)`` one-hot rows.

    Wrong shapes, NaN or infinite pixels and out-of-range labels raise
    :class:`~core.errors.DataError` saying which array and what is wrong.
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_size: int = 128,
        output_size: int = 10,
        learning_rate: float = 0.1,
        *,
        hidden_sizes: Sequence[int] | None = None,
        depth: int | None = None,
        activation: str = "relu",
        optimizer: str = "sgd",
        momentum: float = 0.9,
        init: str = "auto",
        dropout: float = 0.0,
        l2: float = 0.0,
        schedule: str = "constant",
        min_lr_ratio: float = 0.01,
        seed: int = 0,
        dtype: str = "float32",
    ) -> None:
        for name, value in (("input_size", input_size), ("output_size", output_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name}: {value!r} is not allowed; an integer >= 1")
        if output_size < 2:
            raise ConfigError(f"output_size: {output_size!r} is out of range; at least 2 classes")
        if hidden_sizes is None:
            if depth is not None and (
                isinstance(depth, bool)
                or not isinstance(depth, (int, np.integer))
                or not 0 <= depth <= 8
            ):
                raise ConfigError(f"depth: {depth!r} is not allowed; an integer in [0, 8]")
            hidden_sizes = (hidden_size,) * (1 if depth is None else int(depth))
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.config = Config(
            dataset="arrays",
            hidden=tuple(hidden_sizes),
            activation=activation,
            init=init,
            optimizer=optimizer,
            learning_rate=learning_rate,
            momentum=momentum,
            schedule=schedule,
            min_lr_ratio=min_lr_ratio,
            l2=l2,
            dropout=dropout,
            seed=seed,
            dtype=dtype,
        )
        c = self.config
        require_training((self.input_size, *c.hidden, self.output_size), c.dtype, c.optimizer)
        self.model = MLP(
            (self.input_size, *c.hidden, self.output_size),
            activation=c.activation,
            init=c.init,
            dropout=c.dropout,
            l2=c.l2,
            dtype=c.dtype,
            seed=c.seed,
        )
        self.optimizer = make_optimizer(c.optimizer, self.model.params, c.learning_rate, c.momentum)
        #: Per-epoch figures of every ``train`` call so far: lists under HISTORY_KEYS.
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self._epoch_rows: list[HistoryRow] = []

    # -- settings -------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The base learning rate; setting it applies from the next call to :meth:`train`."""
        return self.config.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        value = Config.check_value("learning_rate", value)
        self.config = self.config.replace(learning_rate=float(value))
        self.optimizer.learning_rate = float(value)

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return self.model.hidden

    @property
    def hidden_size(self) -> int:
        """Width of the first hidden layer (0 for softmax regression)."""
        return self.model.hidden[0] if self.model.hidden else 0

    def __getattr__(self, name: str) -> np.ndarray:
        # The seed's W1, b1, W2, b2 ... as views of the live parameters.
        match = re.fullmatch(r"([Wb])([1-9][0-9]*)", name)
        if match and "model" in self.__dict__:
            layer = int(match.group(2)) - 1
            if layer < self.model.n_layers:
                return self.model.params[2 * layer + (match.group(1) == "b")]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # -- training ---------------------------------------------------------------
    def train(
        self,
        X_train: Any,
        y_train: Any,
        X_val: Any,
        y_val: Any,
        epochs: int = 50,
        batch_size: int = 128,
        *,
        verbose: bool = True,
        print_every: int = 1,
    ) -> dict[str, list[float]]:
        """Train for ``epochs`` more epochs and return :attr:`history`.

        Prints the seed's line after every ``print_every``-th epoch (and the last)
        unless ``verbose`` is False. Calling ``train`` again goes on from where the
        last call stopped (epoch numbers continue, nothing is reset). If the loss
        diverges, the last good parameters are restored and training stops with a
        message suggesting a smaller learning rate.
        """
        epochs = Config.check_value("epochs", epochs)
        batch_size = Config.check_value("batch_size", batch_size)
        if isinstance(print_every, bool) or not isinstance(print_every, int) or print_every < 1:
            raise ConfigError(f"print_every: {print_every!r} is not allowed; an integer >= 1")
        Xt, yt = self._data(X_train, y_train, "X_train", "y_train")
        Xv, yv = self._data(X_val, y_val, "X_val", "y_val")
        if len(yt) == 0 or len(yv) == 0:
            raise DataError("X_train and X_val must each hold at least one sample")
        dataset = Dataset(
            "arrays",
            Xt,
            yt,
            Xv,
            yv,
            Xv[:0],
            yv[:0],
            (self.input_size,),
            tuple(str(i) for i in range(self.output_size)),
            "arrays given to NeuralNetwork.train",
        )
        done = len(self._epoch_rows)
        config = self.config.replace(epochs=done + epochs, batch_size=batch_size)
        from core.training.trainer import Trainer  # the trainer pulls in metrics; load it when used

        control = TrainingControl()
        trainer = Trainer(
            config,
            dataset,
            control,
            model=self.model,
            optimizer=self.optimizer,
            history=self._epoch_rows,
        )
        last = done + epochs - 1
        out = SafeStream(sys.stdout, "standard output")  # a closed pipe must not end the run
        for event in trainer.run():
            if isinstance(event, EpochReport):
                self._record(event)
                if verbose and (event.epoch % print_every == 0 or event.epoch == last):
                    print(
                        EPOCH_LINE
                        % (
                            event.epoch,
                            event.train_loss,
                            event.train_acc,
                            event.val_loss,
                            event.val_acc,
                        ),
                        file=out,
                    )
            elif isinstance(event, Diverged):
                if verbose:
                    print(event.message, file=out)
                control.stop()
            elif isinstance(event, Finished) and event.reason == "error":
                raise TrainingError(event.message)
        self._epoch_rows = trainer.history
        self.model, self.optimizer = trainer.model, trainer.optimizer
        return self.history

    def _record(self, report: EpochReport) -> None:
        for key in HISTORY_KEYS:
            self.history[key].append(float(getattr(report, key)))

    # -- inference ----------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, output_size)``; each row sums to 1."""
        return self.model.predict_proba(self._inputs(X, "X"))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels ``(n,)``."""
        return self.model.predict(self._inputs(X, "X"))

    def evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        """``(loss, accuracy)`` on ``X``, ``y``: the mean cross-entropy (without the L2
        penalty) and the fraction of samples whose predicted class is ``y``'s."""
        X, y = self._data(X, y, "X", "y")
        loss, acc = self.model.evaluate(X, y)
        return float(loss), float(acc)

    # -- input checks ---------------------------------------------------------------
    def _data(self, X: Any, y: Any, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
        X = self._inputs(X, x_name)
        y = self._labels(y, y_name)
        if len(y) != len(X):
            raise DataError(f"{x_name} has {len(X)} samples but {y_name} has {len(y)} labels")
        return X, y

    def _inputs(self, X: Any, name: str) -> np.ndarray:
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name}: not an array of numbers ({exc})") from None
        if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise DataError(f"{name}: expected numbers, got an array of {X.dtype}")
        if np.issubdtype(X.dtype, np.complexfloating):
            raise DataError(f"{name}: complex numbers ({X.dtype}) are not pixels; pass real values")
        if X.ndim < 2 or int(np.prod(X.shape[1:])) != self.input_size:
            raise DataError(
                f"{name}: shape {X.shape} does not fit input_size {self.input_size}; expected "
                f"(n, {self.input_size}) or images that flatten to {self.input_size}"
            )
        X = X.reshape(len(X), self.input_size)
        dtype = self.model.dtype
        if np.issubdtype(X.dtype, np.floating) and not np.all(np.isfinite(X)):
            bad = int(np.count_nonzero(~np.isfinite(X)))
            raise DataError(f"{name}: {bad} value(s) are NaN or infinite")
        if np.issubdtype(X.dtype, np.floating) and X.size:
            top = float(np.max(np.abs(X)))
            if top > float(np.finfo(dtype).max):  # infinity in the model's type
                raise DataError(
                    f"{name}: values up to {top:.3g} do not fit the model's {dtype.name} "
                    f"(at most {np.finfo(dtype).max:.3g}); pixels are 0-255 or 0-1"
                )
        if X.size and X.max() > 1:  # 0-255 pixels
            X = X.astype(dtype) / dtype.type(255)
        return np.ascontiguousarray(X, dtype=dtype)

    def _labels(self, y: Any, name: str) -> np.ndarray:
        y = np.asarray(y)
        k = self.output_size
        if y.ndim == 2 and y.shape[1] == k:  # one-hot rows
            if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(axis=1) == 1):
                raise DataError(f"{name}: one-hot rows must hold a single 1 and zeros")
            return y.argmax(axis=1).astype(np.int64)
        if y.ndim != 1:
            raise DataError(
                f"{name}: shape {y.shape} is neither (n,) class labels nor (n, {k}) one-hot rows"
            )
        if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
            raise DataError(f"{name}: expected integer class labels, got {y.dtype}")
        if y.size and (not np.all(np.isfinite(y)) or np.any(y != np.round(y))):
            raise DataError(f"{name}: class labels must be whole numbers")
        if y.size and (y.min() < 0 or y.max() >= k):
            raise DataError(
                f"{name}: labels run from {y.min():g} to {y.max():g}; allowed 0 to {k - 1}"
            )
        return y.astype(np.int64)
