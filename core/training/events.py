"""What the Trainer tells the world, as small immutable values.

The Trainer runs in whatever thread its consumer chooses (the command line's main
thread, the window's worker thread). What it reports crosses threads, so every
event is a frozen, slotted dataclass built with keywords, and every array inside
one is a private copy marked read-only: a consumer can keep an event for as long
as it likes and the training loop can never change it underneath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a``: safe to hand to another thread."""
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out


#: How a run ends: every epoch done, stopped by a person or a program, or an error.
FinishReason = Literal["completed", "stopped", "error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Started:
    """A run begins (or resumes): what it trains, on what."""

    dataset: str
    n_train: int
    n_val: int
    n_test: int
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    architecture: tuple[int, ...]
    config: dict[str, Any]
    first_epoch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchProgress:
    """One mini-batch done. Sent often: consumers throttle what they draw.

    ``batch`` is the 0-based index within the epoch, ``batches`` the epoch's batch
    count at the current batch size, ``step`` the number of updates so far in the
    run. ``loss`` is this batch's cross-entropy (before its update) and
    ``running_loss`` the epoch's mean so far; ``architecture`` is the full layer
    sizes, e.g. ``(784, 128, 10)``.
    """

    epoch: int
    batch: int
    batches: int
    step: int
    loss: float
    running_loss: float
    learning_rate: float
    batch_size: int
    architecture: tuple[int, ...]
    samples_per_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochReport:
    """One epoch done, with its figures on the training and validation sets.

    Train figures are the running means over the epoch's batches; validation ones
    come from a full pass. ``seconds`` excludes pauses.
    """

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    learning_rate: float
    batch_size: int
    architecture: tuple[int, ...]
    seconds: float
    samples_per_s: float
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HyperparameterChanged:
    """A live change took effect at a batch boundary (``step`` is the global batch count)."""

    epoch: int
    batch: int
    step: int
    name: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """A picture of the model at the end of an epoch, computed in the training thread.

    ``weights`` is W1, ``(fan_in, hidden)``. The ``sample_*`` arrays describe validation examples
    worth looking at: every misclassified one (most confident mistakes first, capped)
    and, per class, the least confident correct ones, so a view can filter by any
    (true, predicted) cell of ``confusion``: ``sample_images`` ``(n, d)`` (flattened rows
    like the Dataset's; reshape one to ``image_shape``),
    ``sample_true``/``sample_pred`` ``(n,)``, ``sample_probs`` ``(n, classes)`` and
    ``sample_index`` ``(n,)``, the rows in the validation set. ``grad_norms`` are per
    layer from the epoch's last batch; ``dead_fraction`` per hidden layer, measured
    on up to 1,000 validation images. ``params`` are read-only copies of all
    weights and biases, so the GUI can rebuild an inference model (``MLP.from_params``)
    for saliency maps and drawn digits without touching the live one.
    """

    epoch: int
    weights: np.ndarray
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    confusion: np.ndarray
    sample_images: np.ndarray
    sample_true: np.ndarray
    sample_pred: np.ndarray
    sample_probs: np.ndarray
    sample_index: np.ndarray
    params: tuple[np.ndarray, ...] = ()
    activation: str = "relu"
    weight_norms: tuple[float, ...] = ()
    grad_norms: tuple[float, ...] = ()
    dead_fraction: tuple[float, ...] = ()
    extras: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Diverged:
    """The loss blew up. The last good parameters are back and the run is paused.

    ``restored_step`` is the global batch count at which the restored parameters
    were copied (0 is the state the run started from).
    """

    epoch: int
    batch: int
    learning_rate: float
    loss: float
    suggested_lr: float
    message: str
    restored_step: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class Paused:
    """The loop is holding between batches (asked for, after a Step, or after divergence)."""

    epoch: int
    batch: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed:
    """The loop goes on after a pause."""

    epoch: int
    batch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished:
    """The run is over: ``reason`` says how (all epochs done, a stop, or an error)."""

    reason: FinishReason
    epochs_run: int
    best_val_acc: float
    seconds: float
    message: str = ""


Event = (
    Started
    | BatchProgress
    | EpochReport
    | HyperparameterChanged
    | Snapshot
    | Diverged
    | Paused
    | Resumed
    | Finished
)
