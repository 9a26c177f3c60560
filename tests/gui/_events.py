"""Realistic core events for view tests: a real MLP trained briefly on real images.

The snapshot is built the way the training loop describes it: W1, the validation
confusion matrix, every misclassified validation sample (most confident first,
capped) and, per class, the least confident correct ones.
"""

from __future__ import annotations

import numpy as np

from core.data import Dataset
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.events import (
    BatchProgress,
    EpochReport,
    HyperparameterChanged,
    Snapshot,
    frozen,
)


def trained_model(data: Dataset, hidden: int = 16, steps: int = 40, seed: int = 0) -> MLP:
    """An MLP ``(d, hidden, k)`` after ``steps`` SGD mini-batches: good, not perfect."""
    model = MLP((data.n_features, hidden, data.n_classes), seed=seed)
    opt = make_optimizer("sgd", model.params, 0.5, 0.0)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, data.X_train.shape[0], 64)
        _, grads = model.loss_and_grads(data.X_train[idx], data.y_train[idx])
        opt.step(model.params, grads)
    return model


def snapshot_of(
    model: MLP, data: Dataset, epoch: int = 0, max_wrong: int = 300, per_class_right: int = 6
) -> Snapshot:
    """The Snapshot a Trainer would send for ``model`` on ``data``'s validation set."""
    X, y = data.X_val, data.y_val
    probs = model.predict_proba(X)
    pred = probs.argmax(axis=1)
    conf = probs[np.arange(len(y)), pred]
    k = data.n_classes
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    wrong = np.flatnonzero(pred != y)
    wrong = wrong[np.argsort(-conf[wrong], kind="stable")][:max_wrong]
    right = []
    for c in range(k):
        idx = np.flatnonzero((pred == y) & (y == c))
        right.extend(idx[np.argsort(conf[idx], kind="stable")][:per_class_right])
    keep = np.concatenate([wrong, np.asarray(right, dtype=np.int64)])
    return Snapshot(
        epoch=epoch,
        weights=frozen(model.params[0]),
        image_shape=data.image_shape,
        class_names=data.class_names,
        confusion=frozen(confusion),
        sample_images=frozen(X[keep]),
        sample_true=frozen(y[keep]),
        sample_pred=frozen(pred[keep]),
        sample_probs=frozen(probs[keep]),
        sample_index=frozen(keep),
        params=tuple(frozen(p) for p in model.params),
        activation=model.activation,
    )


def epoch_report(epoch: int, lr: float = 0.1, step: int = 0) -> EpochReport:
    """A plausible report for ``epoch``: loss falls and accuracy rises with it."""
    return EpochReport(
        epoch=epoch,
        train_loss=2.0 / (epoch + 1.5),
        train_acc=1.0 - 0.8 / (epoch + 1.2),
        val_loss=2.1 / (epoch + 1.4),
        val_acc=1.0 - 0.85 / (epoch + 1.2),
        learning_rate=lr,
        batch_size=64,
        architecture=(64, 16, 10),
        seconds=0.5,
        samples_per_s=3000.0,
        step=step,
    )


def batch_progress(epoch: int, batch: int, batches: int = 20) -> BatchProgress:
    """Batch ``batch`` (0-based) of ``batches`` in ``epoch`` done; the running loss decreases."""
    t = epoch + (batch + 1) / batches
    return BatchProgress(
        epoch=epoch,
        batch=batch,
        batches=batches,
        step=epoch * batches + batch + 1,
        loss=2.0 / (t + 1.0),
        running_loss=2.0 / (t + 1.1),
        learning_rate=0.1,
        batch_size=64,
        architecture=(64, 16, 10),
        samples_per_s=3000.0,
    )


def lr_change(epoch: int, batch: int, old: float, new: float) -> HyperparameterChanged:
    """The learning rate changed before batch ``batch`` (0-based) of ``epoch``."""
    return HyperparameterChanged(
        epoch=epoch, batch=batch, step=epoch * 20 + batch, name="learning_rate", old=old, new=new
    )


SIGNALS = {
    "Started": "started",
    "BatchProgress": "batch",
    "EpochReport": "epoch",
    "HyperparameterChanged": "changed",
    "Snapshot": "snapshot",
    "Diverged": "diverged",
    "Paused": "paused",
    "Resumed": "resumed",
    "Finished": "finished",
}


def trainer_events(data: Dataset, epochs: int = 2, hidden: int = 16, grow_to: int = 0) -> list:
    """The real Trainer's event stream on ``data``; after the first epoch the learning
    rate drops to a tenth and, with ``grow_to``, the hidden layer is resized."""
    from core.training.config import Config
    from core.training.control import TrainingControl
    from core.training.events import EpochReport as Report
    from core.training.trainer import Trainer

    config = Config().replace(dataset=data.name, hidden=(hidden,), epochs=epochs, batch_size=64)
    control = TrainingControl()
    events = []
    for ev in Trainer(config, data, control).run():
        events.append(ev)
        if isinstance(ev, Report) and ev.epoch == 0:
            control.set("learning_rate", config.learning_rate / 10)
            if grow_to:
                control.set_hidden_size(grow_to)
    return events


def emit_all(bus, events: list) -> None:
    """Send each event down the bus signal the window's worker would use."""
    for ev in events:
        getattr(bus, SIGNALS[type(ev).__name__]).emit(ev)


_RUNS: dict[str, list] = {}


def real_run(data: Dataset) -> list:
    """``trainer_events(data, epochs=2, hidden=16, grow_to=25)``, computed once per session."""
    if data.name not in _RUNS:
        _RUNS[data.name] = trainer_events(data, epochs=2, hidden=16, grow_to=25)
    return _RUNS[data.name]
