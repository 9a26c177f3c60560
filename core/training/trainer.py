"""The training loop, as a stream of events that obeys commands between batches.

``Trainer.run()`` is a generator: iterate it and it trains, yielding small frozen
events (``core.training.events``) as it goes. The command line prints them; the window's
worker thread forwards them as Qt signals. Between two batches the loop reads its
:class:`~core.training.control.TrainingControl`'s ``needs_attention`` flag (one attribute
read) and, when a command came, runs submitted calls, applies live changes, holds
while paused and ends on stop, so every command takes effect at the next batch
boundary.

Figures it reports:

- train loss and accuracy of an epoch are the running means over that epoch's
  batches (cross-entropy without the L2 term, measured before each update, with
  dropout active): free to compute, and the standard figure. The validation ones
  come from one full inference pass (:func:`~core.training.metrics.evaluate_set`) that
  also gives the epoch's Snapshot everything it shows.
- ``seconds`` is the epoch's wall time without pauses, ``samples_per_s`` the
  training throughput of its batches.

Randomness: epoch ``e`` draws its shuffle, dropout masks and augmentation from
generators seeded with ``(seed, e)``, so the state of a run at an epoch boundary
is its parameters, optimiser state and epoch number, nothing more. A run resumed
from a checkpoint therefore repeats an uninterrupted run with the same seed,
epoch for epoch. Inside an epoch the state also holds the position in the epoch's
order and the two generators' states (:class:`~core.training.timeline.EpochPosition`);
a Trainer given one (``position=``) continues from the middle of that epoch, bit for bit.

Timeline: given a :class:`~core.training.recorder.TimelineWriter` (``timeline=``), the
run records its start, every epoch end and, in its first epoch, the moments after 1,
2, 4, 8, ... batches. :meth:`Trainer.from_state` starts a new run (a fork) from any
recorded moment.

Divergence: a batch whose loss is not finite, or above
:func:`divergence_limit`, is not applied. The parameters and optimiser state of
the last verified copy come back (a copy is taken every few batches and counts
as good once the next batch's loss, computed with it, is sane), ``Diverged``
suggests a smaller rate, and the loop pauses for the person to decide. A Trainer
made without a control has nobody to resume it, so there the run stops instead
(``Finished(reason="stopped")`` carrying the message).

Errors: a :class:`~core.errors.BackpropError` raised while training (a live
change that does not fit, augmentation that is not available) ends the run with
``Finished(reason="error", message=...)``. Any other exception is a bug: the
loop still yields ``Finished(reason="error")`` so a consumer can tidy up, then
re-raises it so it is never hidden.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any, cast

import numpy as np

from core.data import Dataset
from core.errors import BackpropError, ConfigError, TrainingError
from core.nn.batches import BatchSampler
from core.nn.memory import require_training
from core.nn.model import MLP
from core.nn.optim import TYPICAL_LR, Optimizer, make_optimizer
from core.training import schedules
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Event,
    Finished,
    FinishReason,
    HyperparameterChanged,
    Paused,
    Resumed,
    Snapshot,
    Started,
    frozen,
)
from core.training.health import sample_rows, snapshot_extras
from core.training.history import HistoryRow
from core.training.metrics import (
    SetEvaluation,
    confusion_matrix,
    evaluate_set,
    gradient_norms,
    layer_norms,
    least_confident_correct,
    misclassified_by_confidence,
)
from core.training.recorder import TimelineWriter
from core.training.timeline import EpochPosition, RecordedState

#: Most misclassified validation samples a Snapshot carries (most confident first).
SNAPSHOT_MISTAKES = 300
#: Least-confident correct validation samples a Snapshot carries per class.
SNAPSHOT_NEAR_MISSES = 10
#: Validation samples used to measure dead units.
DEAD_UNIT_SAMPLE = 1000
#: How often the last-good copy is refreshed: about this many floats copied per batch
#: (a copy every 40 batches at 784-128-10: a divergence costs at most that many).
COPY_BUDGET = 2_500
#: Never more than this many batches between two copies.
MAX_COPY_INTERVAL = 50
#: While paused, how long to wait between looks at submitted calls and changes.
PAUSE_POLL_S = 0.25


def divergence_limit(n_classes: int) -> float:
    """Batch loss above which training counts as diverged.

    Guessing uniformly costs ln(k) (2.3 for ten classes); a loss several times
    that is never learning. ``max(10, 4 ln k)`` leaves room for the noisy first
    batches of a high but sane rate.
    """
    return max(10.0, 4.0 * math.log(max(n_classes, 2)))


def suggest_learning_rate(lr: float, optimizer: str | None = None) -> float:
    """A tenth of ``lr``, rounded down to 1, 2 or 5 times a power of ten.

    With ``optimizer``, never above the rate that usually works for it
    (:data:`~core.nn.optim.TYPICAL_LR`): Adam at 1.0 is offered 0.001, not a 0.1
    that diverges again.
    """
    target = lr / 10.0
    if optimizer in TYPICAL_LR:
        target = min(target, TYPICAL_LR[optimizer])
    exponent = math.floor(math.log10(target))
    for mantissa in (5.0, 2.0, 1.0):
        value = mantissa * 10.0**exponent
        if value <= target * (1 + 1e-9):
            return float(f"{value:.3g}")
    return float(f"{10.0**exponent:.3g}")


@dataclasses.dataclass
class _Saved:
    """A copy of everything a divergence must put back."""

    step: int
    sizes: list[int]
    params: list[np.ndarray]
    state: dict[str, list[np.ndarray]]
    t: int


def _copy_arrays(src: list[np.ndarray], dst: list[np.ndarray] | None) -> list[np.ndarray]:
    """Copy ``src`` into ``dst`` when the shapes match (no allocation), else into new arrays."""
    if (
        dst is None
        or len(dst) != len(src)
        or any(d.shape != s.shape or d.dtype != s.dtype for d, s in zip(dst, src, strict=True))
    ):
        return [s.copy() for s in src]
    for d, s in zip(dst, src, strict=True):
        np.copyto(d, s)
    return dst


@dataclasses.dataclass(slots=True, kw_only=True)
class _Epoch:
    """One epoch under way: its batch order, its generator, where it stands, its sums."""

    epoch: int
    sampler: BatchSampler
    batches: Iterator[tuple[np.ndarray, np.ndarray]]
    augment_rng: np.random.Generator
    n: int
    t0: float
    paused0: float
    pos: int = 0
    batch: int = 0
    seen: int = 0
    correct: int = 0
    loss_sum: float = 0.0

    def busy(self, trainer: Trainer) -> float:
        """Seconds spent on this epoch so far, pauses excluded."""
        return time.perf_counter() - self.t0 - (trainer._paused_s - self.paused0)

    def progress(self, trainer: Trainer, k: int, loss: float, right: int) -> BatchProgress:
        """Count a finished batch of ``k`` samples and report it."""
        self.seen += k
        self.loss_sum += loss * k
        self.correct += right
        busy = self.busy(trainer)
        return BatchProgress(
            epoch=self.epoch,
            batch=self.batch,
            batches=self.batch + 1 + self.sampler.batches_left(self.pos),
            step=trainer.step,
            loss=loss,
            running_loss=self.loss_sum / self.seen,
            learning_rate=trainer.learning_rate,
            batch_size=trainer.batch_size,
            architecture=tuple(trainer.model.sizes),
            samples_per_s=self.seen / busy if busy > 0 else 0.0,
        )

    def position(self, trainer: Trainer) -> EpochPosition:
        """Everything continuing from here bit for bit needs (a timeline state)."""
        return EpochPosition(
            epoch=self.epoch,
            batch=self.batch,
            sample=self.pos,
            step=trainer.step,
            loss_sum=self.loss_sum,
            seen=self.seen,
            correct=self.correct,
            learning_rate=trainer.learning_rate,
            batch_size=trainer.batch_size,
            dropout_rng=dict(trainer.model.rng.bit_generator.state),
            augment_rng=dict(self.augment_rng.bit_generator.state),
        )


class Trainer:
    """Trains ``model`` on ``dataset`` as ``config`` says; :meth:`run` yields the events.

    ``model``, ``optimizer``, ``history`` and ``changes`` continue an earlier run
    (a checkpoint); the run then starts at epoch ``len(history)`` and goes on up
    to ``config.epochs`` epochs in all. ``config`` always describes the run as
    it is now: live changes of the learning rate (the schedule's base rate),
    batch size and hidden widths are written back into it. ``snapshots=False``
    skips the per-epoch :class:`Snapshot` (a pass over the validation set) for
    consumers that never look at one, such as the command line.

    ``position`` continues from inside epoch ``len(history)`` (see
    :class:`~core.training.timeline.EpochPosition`); ``timeline`` records the run;
    ``branch`` describes where this run was forked from (kept in its checkpoint and
    timeline, so a view can draw it as a branch).
    """

    def __init__(
        self,
        config: Config,
        dataset: Dataset,
        control: TrainingControl | None = None,
        *,
        model: MLP | None = None,
        optimizer: Optimizer | None = None,
        history: Sequence[Mapping[str, Any]] | None = None,
        changes: list[dict[str, Any]] | None = None,
        snapshots: bool = True,
        timeline: TimelineWriter | None = None,
        position: EpochPosition | None = None,
        branch: Mapping[str, Any] | None = None,
    ) -> None:
        model, optimizer = self._build(config, dataset, model, optimizer)
        # A model or optimiser handed in (a checkpoint, the seed's API) is the truth.
        actual = {
            "hidden": model.hidden,
            "activation": model.activation,
            "dtype": model.dtype.name,
            "dropout": model.dropout,
            "l2": model.l2,
            "optimizer": optimizer.name,
        }
        if any(getattr(config, k) != v for k, v in actual.items()):
            config = config.replace(**actual)
        self.config = config
        self.dataset = dataset
        self.control = control if control is not None else TrainingControl()
        #: Without a control of the caller's, nobody could resume a pause.
        self._unattended = control is None
        self.model = model
        self.optimizer = optimizer
        self.history: list[HistoryRow] = [cast(HistoryRow, dict(r)) for r in history or ()]
        self.changes: list[dict[str, Any]] = [dict(c) for c in changes or ()]
        self.epoch = len(self.history)
        self.step = int(self.history[-1].get("step", 0)) if self.history else 0
        self.batch_size = config.batch_size
        self.learning_rate = self._scheduled_lr(self.epoch)
        if position is not None:
            if position.epoch != self.epoch or position.sample > len(dataset.y_train):
                raise ConfigError(
                    f"position: {position.sample} samples into epoch {position.epoch} does not "
                    f"follow {self.epoch} recorded epochs of {len(dataset.y_train)} samples"
                )
            self.step = position.step
            self.batch_size = position.batch_size
            self.learning_rate = position.learning_rate
        self.optimizer.learning_rate = self.learning_rate
        #: Where this run branched from another, or None (see :meth:`from_state`).
        self.branch: dict[str, Any] | None = dict(branch) if branch else None
        self._position = position
        self._timeline = timeline
        self.grad_norms: tuple[float, ...] = ()
        self._sampler: BatchSampler | None = None
        self._limit = divergence_limit(dataset.n_classes)
        self._good: _Saved | None = None
        self._pending: _Saved | None = None
        self._spare: _Saved | None = None
        #: Batches between two copies (see :meth:`_copy_interval`), kept while sizes stay.
        self._copy_every = self._copy_interval()
        self._pause_reason = "paused"
        self._stop_message = ""
        self._paused_s = 0.0
        self._augment: Callable[..., np.ndarray] | None = None
        self._snapshots = snapshots

    def _build(
        self,
        config: Config,
        dataset: Dataset,
        model: MLP | None,
        optimizer: Optimizer | None,
    ) -> tuple[MLP, Optimizer]:
        """The model and optimiser: new from ``config``, or those handed in, checked to fit."""
        rows = min(config.batch_size, len(dataset.y_train))  # a batch is never larger
        if model is None:
            model = MLP(
                self.check_memory(config, dataset),
                activation=config.activation,
                init=config.init,
                dropout=config.dropout,
                l2=config.l2,
                dtype=config.dtype,
                seed=config.seed,
            )
        elif model.sizes[0] != dataset.n_features or model.sizes[-1] != dataset.n_classes:
            raise ConfigError(
                f"model {'-'.join(map(str, model.sizes))} does not fit dataset {dataset.name!r} "
                f"({dataset.n_features} inputs, {dataset.n_classes} classes)"
            )
        else:
            require_training(
                model.sizes,
                model.dtype,
                optimizer.name if optimizer is not None else config.optimizer,
                rows,
                dropout=model.dropout > 0,
                built=True,
            )
        if optimizer is None:
            optimizer = make_optimizer(
                config.optimizer, model.params, config.learning_rate, config.momentum
            )
        return model, optimizer

    @classmethod
    def from_state(
        cls,
        state: RecordedState,
        dataset: Dataset,
        control: TrainingControl | None = None,
        *,
        changes: Mapping[str, Any] | None = None,
        source: str | None = None,
        **options: Any,
    ) -> Trainer:
        """A new run that continues from a recorded moment, with ``changes`` to its settings.

        See :func:`core.training.fork.fork`: with no change it repeats the original
        run from that moment bit for bit; ``source`` names the run forked.
        """
        from core.training.fork import fork

        return fork(state, dataset, control, changes=changes, source=source, **options)

    @property
    def starts_inside_epoch(self) -> bool:
        """Whether the run continues from inside an epoch (a fork of a moment within one)
        and has not begun that epoch yet."""
        return self._position is not None

    @staticmethod
    def check_memory(config: Config, dataset: Dataset) -> tuple[int, ...]:
        """Refuse (``ConfigError``, with the estimate) a new network that will not fit.

        Called before anything is built, so a caller can check before it creates
        files for the run; returns the network's layer sizes.
        """
        sizes = (dataset.n_features, *config.hidden, dataset.n_classes)
        rows = min(config.batch_size, len(dataset.y_train))
        require_training(sizes, config.dtype, config.optimizer, rows, dropout=config.dropout > 0)
        return sizes

    # -- the loop -------------------------------------------------------------
    def run(self) -> Iterator[Event]:
        """Train up to ``config.epochs`` epochs, yielding events; ends with ``Finished``."""
        t_start = time.perf_counter()
        paused_before = self._paused_s
        yield self.started()
        reason: FinishReason = "completed"
        message = ""
        try:
            try:
                if self._timeline is not None:
                    self._timeline.open(self, self._position)
                self._augment = self._augmenter()
                while self.epoch < self.config.epochs:
                    completed = yield from self._run_epoch()
                    if not completed:
                        reason, message = "stopped", self._stop_message
                        break
            finally:  # every state recorded is on disk before Finished says so
                if self._timeline is not None:
                    self._timeline.close()
        except BackpropError as exc:
            reason, message = "error", str(exc)
        except Exception as exc:
            yield self._finished(
                "error", t_start, paused_before, f"internal error: {type(exc).__name__}: {exc}"
            )
            raise
        yield self._finished(reason, t_start, paused_before, message)

    def started(self, first_epoch: int | None = None) -> Started:
        """The event that opens a run: its data, network and settings, from ``first_epoch``.

        A replay of a saved run (the window opening a checkpoint) starts at epoch 0
        and then shows the recorded epochs; training starts where the run stands.
        """
        ds = self.dataset
        return Started(
            dataset=ds.name,
            n_train=len(ds.y_train),
            n_val=len(ds.y_val),
            n_test=len(ds.y_test),
            image_shape=tuple(ds.image_shape),
            class_names=tuple(ds.class_names),
            architecture=tuple(self.model.sizes),
            config=self.config.to_dict(),
            first_epoch=self.epoch if first_epoch is None else first_epoch,
        )

    def _finished(
        self, reason: FinishReason, t_start: float, paused_before: float, message: str
    ) -> Finished:
        best = max((r["val_acc"] for r in self.history), default=0.0)
        seconds = time.perf_counter() - t_start - (self._paused_s - paused_before)
        return Finished(
            reason=reason,
            epochs_run=self.epoch,
            best_val_acc=float(best),
            seconds=seconds,
            message=message,
        )

    def _run_epoch(self) -> Generator[Event, None, bool]:
        """One epoch; returns False (through StopIteration) when a stop ends it early."""
        ep = self._begin_epoch()
        model, ctl, augment = self.model, self.control, self._augment
        ctl.begin_epoch(ep.epoch)  # changes asked for at this epoch apply before its first batch
        ds, kind = self.dataset, self.config.augment
        # Inside the first epoch the timeline records after 1, 2, 4, 8, ... batches.
        timeline = self._timeline if ep.epoch == 0 else None
        while ep.pos < ep.n:
            if ctl.needs_attention and not (yield from self._between_batches(ep.epoch, ep.batch)):
                return False
            Xb, yb = next(ep.batches)
            ep.pos += Xb.shape[0]
            if augment is not None:
                Xb = augment(Xb, ds.image_shape, kind, ep.augment_rng, out=Xb)
            self._maybe_copy()
            loss, right, dZ = model.training_forward(Xb, yb)
            if not loss <= self._limit:  # also catches NaN
                yield from self._diverged(ep.epoch, ep.batch, loss)
                ep.batch += 1
                continue
            self._confirm_copy()
            self._update(dZ, last=ep.pos >= ep.n)
            yield ep.progress(self, Xb.shape[0], loss, right)
            ep.batch += 1
            if timeline is not None and ep.pos < ep.n and ep.batch & (ep.batch - 1) == 0:
                timeline.record(self, "batch", ep.position(self))
        yield from self._end_epoch(ep)
        return True

    def _begin_epoch(self) -> _Epoch:
        """Learning rate, generators and batch order of epoch ``self.epoch``.

        Each epoch draws its shuffle, dropout and augmentation from ``(seed, epoch)``,
        so a resumed run repeats an uninterrupted one; a run continued from inside an
        epoch (a timeline fork) takes the recorded generator states and running sums.
        """
        e, cfg, ds, model = self.epoch, self.config, self.dataset, self.model
        at, self._position = self._position, None  # where in this epoch a continued run stands
        self.learning_rate = self._scheduled_lr(e) if at is None else at.learning_rate
        self.optimizer.learning_rate = self.learning_rate
        model.rng = np.random.default_rng([cfg.seed, e, 1])
        aug_rng = np.random.default_rng([cfg.seed, e, 2])
        if at is not None:
            model.rng.bit_generator.state = at.dropout_rng
            aug_rng.bit_generator.state = at.augment_rng
        sampler = BatchSampler(
            ds.X_train, ds.y_train, self.batch_size, np.random.default_rng([cfg.seed, e])
        )
        self._sampler = sampler
        self._copy_every = self._copy_interval()
        ep = _Epoch(
            epoch=e,
            sampler=sampler,
            batches=sampler.epoch(at.sample if at is not None else 0),
            augment_rng=aug_rng,
            n=sampler.n,
            t0=time.perf_counter(),
            paused0=self._paused_s,
        )
        if at is not None:
            ep.pos, ep.batch, ep.seen, ep.correct, ep.loss_sum = (
                at.sample, at.batch, at.seen, at.correct, at.loss_sum
            )  # fmt: skip
        return ep

    def _update(self, dZ: np.ndarray, *, last: bool) -> None:
        """Backpropagate the batch and step; the epoch's last batch keeps its gradients."""
        if not last:
            self.model.backward_step(dZ, self.optimizer)  # the fused fast path
        else:  # measured for the health view
            grads = self.model.backward(dZ)
            self.grad_norms = gradient_norms(grads)
            self.optimizer.step(self.model.params, grads)
        self.step += 1

    def _end_epoch(self, ep: _Epoch) -> Iterator[Event]:
        """Validate, record the epoch's row, report it (and its snapshot)."""
        model = self.model
        train_s = ep.busy(self)
        val = self._evaluate_validation(for_snapshot=self._snapshots)
        seconds = ep.busy(self)
        row = HistoryRow(
            epoch=ep.epoch,
            train_loss=ep.loss_sum / ep.seen if ep.seen else float("nan"),
            train_acc=ep.correct / ep.seen if ep.seen else float("nan"),
            val_loss=float(val.loss),
            val_acc=float(val.accuracy),
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            architecture=list(model.sizes),
            seconds=seconds,
            samples_per_s=ep.seen / train_s if train_s > 0 else 0.0,
            step=self.step,
        )
        self.history.append(row)
        self.epoch = ep.epoch + 1
        if self._timeline is not None:
            self._timeline.record(self, "epoch")
        yield EpochReport(
            epoch=ep.epoch,
            train_loss=row["train_loss"],
            train_acc=row["train_acc"],
            val_loss=row["val_loss"],
            val_acc=row["val_acc"],
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            architecture=tuple(model.sizes),
            seconds=seconds,
            samples_per_s=row["samples_per_s"],
            step=self.step,
        )
        if self._snapshots:
            yield self._snapshot(ep.epoch, val)
        if self.control.epoch_boundary():
            self._pause_reason = "step"

    # -- between batches --------------------------------------------------------
    def _between_batches(self, epoch: int, batch: int) -> Generator[Event, None, bool]:
        """Run calls, apply changes, hold while paused; returns False on stop.

        The loop comes here only when the control says a command came.
        """
        ctl = self.control
        ctl.acknowledge()
        yield from self._service(epoch, batch)
        if ctl.stopped:
            return False
        if ctl.take_batch_step():  # run this one batch; the loop holds before the next
            self._pause_reason = "step"
            return True
        if not ctl.paused:
            return True
        yield Paused(epoch=epoch, batch=batch, reason=self._pause_reason)
        self._pause_reason = "paused"
        t0 = time.perf_counter()
        while ctl.paused and not ctl.stopped:
            ctl.wait_while_paused(PAUSE_POLL_S)
            yield from self._service(epoch, batch)
        self._paused_s += time.perf_counter() - t0
        if ctl.stopped:
            return False
        yield Resumed(epoch=epoch, batch=batch)
        if ctl.take_batch_step():  # resumed by a one-batch Step
            self._pause_reason = "step"
        return True

    def _service(self, epoch: int, batch: int) -> Iterator[Event]:
        for fn, future in self.control.take_calls():
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self))
            except Exception as exc:
                future.set_exception(exc)
        changes = self.control.take_changes()
        for name, value in changes.items():
            yield from self._apply(name, value, epoch, batch)

    def _apply(self, name: str, value: Any, epoch: int, batch: int) -> Iterator[Event]:
        old: Any
        new: Any
        if name == "learning_rate":
            old, new = self.learning_rate, float(value)
            self.learning_rate = self.optimizer.learning_rate = new
            factor = schedules.lr_factor(
                self.config.schedule, epoch, self.config.epochs, self.config.min_lr_ratio
            )
            hi = Config.field_range("learning_rate")[1]
            self.config = self.config.replace(learning_rate=min(new / factor, hi))
        elif name == "batch_size":
            old, new = self.batch_size, int(value)
            self.batch_size = new
            if self._sampler is not None:
                self._sampler.batch_size = new
            self.config = self.config.replace(batch_size=new)
        elif name == "hidden":
            old = self.model.hidden
            self._resize(value)
            new = self.model.hidden
            self.config = self.config.replace(hidden=new)
        else:
            raise TrainingError(f"{name}: cannot change while training")
        if old == new:
            return
        yield self._record_change(epoch, batch, name, old, new)

    def _resize(self, widths: tuple[int | None, ...]) -> None:
        hidden = self.model.hidden
        if len(widths) > len(hidden) and any(w is not None for w in widths[len(hidden) :]):
            raise TrainingError(
                f"hidden: the network has {len(hidden)} hidden layer(s); cannot resize layer "
                f"{len(widths) - 1} (add layers with Reset)"
            )
        for layer, width in enumerate(widths[: len(hidden)]):
            if width is None or width == self.model.hidden[layer]:
                continue
            index = self.model.resize_hidden(layer, int(width))
            self.optimizer.remap(layer, index)
        self._pending = None
        self._copy_every = self._copy_interval()

    def _record_change(
        self, epoch: int, batch: int, name: str, old: Any, new: Any
    ) -> HyperparameterChanged:
        event = HyperparameterChanged(
            epoch=epoch, batch=batch, step=self.step, name=name, old=old, new=new
        )
        record = dataclasses.asdict(event)
        for key in ("old", "new"):
            if isinstance(record[key], tuple):
                record[key] = list(record[key])
        self.changes.append(record)
        return event

    def _scheduled_lr(self, epoch: int) -> float:
        c = self.config
        return schedules.learning_rate(c.learning_rate, c.schedule, epoch, c.epochs, c.min_lr_ratio)

    def _augmenter(self) -> Callable[..., np.ndarray] | None:
        if self.config.augment == "none":
            return None
        try:
            from core.training.augment import augment_batch
        except ModuleNotFoundError as exc:
            if exc.name != "core.training.augment":
                raise
            raise TrainingError(
                f"augment: {self.config.augment!r} needs core.training.augment, which this "
                "installation lacks; use augment 'none'"
            ) from None
        return augment_batch

    # -- divergence -------------------------------------------------------------
    def _copy_interval(self) -> int:
        """Batches between two copies: about :data:`COPY_BUDGET` floats copied per batch."""
        floats = sum(p.size for p in self.model.params) * (1 + len(self.optimizer.slots))
        return int(min(max(floats // COPY_BUDGET, 1), MAX_COPY_INTERVAL))

    def _maybe_copy(self) -> None:
        """Before a batch: copy the parameters if the last good copy is old enough."""
        if self._pending is not None:
            return
        if self._good is not None and self.step - self._good.step < self._copy_every:
            return
        spare, self._spare = self._spare, None
        opt = self.optimizer
        self._pending = _Saved(
            self.step,
            list(self.model.sizes),
            _copy_arrays(self.model.params, spare.params if spare else None),
            {
                s: _copy_arrays(a, spare.state.get(s) if spare else None)
                for s, a in opt.state.items()
            },
            opt.t,
        )

    def _confirm_copy(self) -> None:
        """The batch's loss was sane with the copied parameters: the copy is good."""
        if self._pending is not None:
            self._spare, self._good, self._pending = self._good, self._pending, None

    def _diverged(self, epoch: int, batch: int, loss: float) -> Iterator[Event]:
        good = self._good
        lr = self.learning_rate
        if good is None:
            raise TrainingError(
                f"the loss is {loss:g} before any update at epoch {epoch}, batch {batch}: "
                "the model's parameters are not usable"
            )
        old_hidden = self.model.hidden
        self.model.params[:] = [p.copy() for p in good.params]
        self.model.sizes[:] = good.sizes
        self.optimizer.state = {s: [a.copy() for a in arrays] for s, arrays in good.state.items()}
        self.optimizer.t = good.t
        self._pending = None
        self._copy_every = self._copy_interval()
        if self.model.hidden != old_hidden:
            self.config = self.config.replace(hidden=self.model.hidden)
            yield self._record_change(epoch, batch, "hidden", old_hidden, self.model.hidden)
        suggested = suggest_learning_rate(lr, self.optimizer.name)
        shown = "not finite" if not math.isfinite(loss) else f"{loss:.3g}"
        message = (
            f"learning rate {lr:g} diverged at epoch {epoch}, batch {batch} (loss {shown}); "
            f"try <= {suggested:g}. The parameters from step {good.step} are restored and "
            "training is paused."
        )
        if self._unattended:
            self.control.stop()
            self._stop_message = message.replace("training is paused", "training stopped")
        else:
            self.control.pause()
            self._pause_reason = "diverged"
        yield Diverged(
            epoch=epoch,
            batch=batch,
            learning_rate=lr,
            loss=float(loss),
            suggested_lr=suggested,
            message=message,
            restored_step=good.step,
        )

    # -- pictures of the model ----------------------------------------------------
    def snapshot(self, epoch: int | None = None) -> Snapshot:
        """A :class:`Snapshot` of the model now, on the validation set (copies throughout)."""
        return self._snapshot(
            self.epoch - 1 if epoch is None else epoch, self._evaluate_validation(for_snapshot=True)
        )

    def _evaluate_validation(self, for_snapshot: bool) -> SetEvaluation:
        """One pass over the validation set: the epoch's figures, and its Snapshot's if asked."""
        return validation_pass(self.model, self.dataset, for_snapshot)

    def _snapshot(self, epoch: int, val: SetEvaluation) -> Snapshot:
        return model_snapshot(self.model, self.dataset, epoch, self.grad_norms, val)


def validation_pass(model: MLP, dataset: Dataset, for_snapshot: bool) -> SetEvaluation:
    """One pass over the validation set: the epoch's figures, and its Snapshot's if asked."""
    return evaluate_set(
        model,
        dataset.X_val,
        dataset.y_val,
        dead_rows=DEAD_UNIT_SAMPLE if for_snapshot else 0,
        sample=sample_rows(len(dataset.y_val)) if for_snapshot else None,
    )


def model_snapshot(
    model: MLP,
    dataset: Dataset,
    epoch: int,
    grad_norms: tuple[float, ...] = (),
    val: SetEvaluation | None = None,
) -> Snapshot:
    """A :class:`Snapshot` of ``model`` on ``dataset``'s validation set (copies throughout).

    ``val`` may pass the validation pass when it was made already (with the
    snapshot's extras); a recorded moment (``RecordedState.snapshot``) makes its own.
    """
    ds = dataset
    if val is None:
        val = validation_pass(model, ds, for_snapshot=True)
    probs, pred = val.probs, val.pred
    cm = confusion_matrix(ds.y_val, pred, ds.n_classes)
    idx = np.concatenate(
        [
            misclassified_by_confidence(probs, ds.y_val, SNAPSHOT_MISTAKES, pred),
            least_confident_correct(probs, ds.y_val, SNAPSHOT_NEAR_MISSES, pred),
        ]
    )
    params = tuple(frozen(p) for p in model.params)
    return Snapshot(
        epoch=epoch,
        weights=params[0],  # W1, read-only like every copy: one copy serves both fields
        image_shape=tuple(ds.image_shape),
        class_names=tuple(ds.class_names),
        confusion=frozen(cm),
        sample_images=frozen(ds.X_val[idx]),
        sample_true=frozen(ds.y_val[idx]),
        sample_pred=frozen(pred[idx]),
        sample_probs=frozen(probs[idx]),
        sample_index=frozen(idx),
        params=params,
        activation=model.activation,
        weight_norms=layer_norms(model.params),
        grad_norms=grad_norms,
        dead_fraction=val.dead_fraction,
        extras=snapshot_extras(model, ds.X_val, ds.y_val, val.hidden_sample),
    )
