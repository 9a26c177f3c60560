"""Inside: one digit through the network and back, one equation at a time.

Pick a digit (a validation digit from the browser, a drawing, a mistake from the
gallery) and walk through what the current network does with it: forward from the
pixels to the probabilities, then backward from the error at the output to every
weight's gradient (:mod:`gui.views.inside_steps`). "Learn from this digit" takes
one step on a copy (:mod:`gui.views.inside_learn`).

The network is a snapshot's. Following the run, every new snapshot is traced again
(in a worker, :mod:`gui.views.inside_work`; only the latest one waiting); unticking
"Follow the run", or choosing an epoch, stays on that epoch while the run goes on.
The tab keeps the parameters of the epochs it has seen (up to :data:`KEEP_BYTES`;
beyond that the oldest go, the first epoch and the one shown stay). A hidden tab
only remembers: it traces when it is shown. The trace of a new snapshot is drawn on
the pictures' shared clock (:class:`~gui.shared.pacing.Latest`), after the other
views have drawn that snapshot; one the person asked for (a digit, an epoch) at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.training.events import EpochReport, Snapshot
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.header import ViewHeader
from gui.shared.pacing import Latest
from gui.views.inside_learn import LearnPanel
from gui.views.inside_picker import DigitPicker
from gui.views.inside_steps import StepWalker
from gui.views.inside_work import Digit, Job, Learned, Network, Traced, Tracer

#: Parameters of past epochs the tab keeps for "stay on an epoch" (bytes).
KEEP_BYTES = 256 * 1024 * 1024
#: A new trace is drawn on the pictures' shared clock, after the snapshot views have
#: drawn theirs (they wait 0-80 ms), and no more often than they are.
DRAW_DELAY_MS = 120
MIN_GAP_MS = 250
NO_NETWORK = "Train at least one epoch (or open a checkpoint) to look inside the network."


class InsideView(QWidget):
    """The Inside tab: a digit, the network of one epoch, and the steps between them."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._networks: dict[int, Network] = {}
        self._rates: dict[int, tuple[float, int]] = {}
        self._epoch: int | None = None  # the epoch traced (or to trace)
        self._val: tuple[np.ndarray, np.ndarray] | None = None
        self._dataset: Any = None
        self._jobs = 0
        self._wanted = -1  # the number of the trace job whose result is awaited
        self._learn_wanted = -1
        self._asked = -1  # the number of the last trace the person asked for: drawn at once
        self._stale = False
        self.traced: Traced | None = None
        self.learned: Learned | None = None

        self.follow_live = QCheckBox("Follow the run")
        self.follow_live.setChecked(True)
        self.follow_live.setToolTip(
            "Trace again with every new epoch; untick to stay on the epoch shown"
        )
        self.follow_live.toggled.connect(self._on_follow)
        self.epoch_choice = QComboBox()
        self.epoch_choice.setToolTip("The epoch whose network the digit goes through")
        self.epoch_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.epoch_choice.activated.connect(self._on_epoch_chosen)
        self.header = ViewHeader("inside", self.follow_live, self.epoch_choice)

        self.picker = DigitPicker()
        self.picker.picked.connect(self._on_picked)
        self.walker = StepWalker()
        self.learn = LearnPanel()
        self.learn.learn_requested.connect(self._on_learn)
        self.learn.set_enabled(False)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(style.SPACE_S)
        column.addWidget(self.picker)
        steps_title = QLabel("Steps, in the order they run")
        steps_title.setObjectName("readout")
        column.addWidget(steps_title)
        column.addWidget(self.walker.steps_list, 1)
        left.setMaximumWidth(250)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setHandleWidth(style.SPACE_M)
        right.addWidget(self.walker)
        right.addWidget(self.learn)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 0)
        right.setChildrenCollapsible(False)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setHandleWidth(style.SPACE_M)
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)

        keys = ((Qt.Key.Key_Left, self.walker.previous), (Qt.Key.Key_Right, self.walker.next))
        for key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.tracer = Tracer(self)
        self._latest = Latest(self._draw_traced, DRAW_DELAY_MS, MIN_GAP_MS, self)
        self.tracer.traced.connect(self._on_traced)
        self.tracer.learned.connect(self._on_learned)
        self.tracer.failed.connect(self._on_failed)
        bus.epoch.connect(self._on_epoch)
        bus.snapshot.connect(self._on_snapshot)
        bus.run_reset.connect(self._on_run_reset)
        self._show_epochs()
        self.walker.clear(NO_NETWORK)
        style.on_change(self, self._restyle)

    # -- public ---------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        """The run's dataset: its validation set is browsed and scores "Learn from this digit"."""
        if dataset is None or dataset is self._dataset:
            return
        self._dataset = dataset
        self._val = (dataset.X_val, dataset.y_val)
        shape, names = tuple(dataset.image_shape), tuple(dataset.class_names)
        self.picker.set_dataset(dataset.X_val, dataset.y_val, shape, names)
        d = self.picker.digit
        if d is None or d.x.size != dataset.n_features:
            self.picker.show_validation(0)

    def show_digit(
        self,
        image: np.ndarray,
        label: int,
        source: str,
        drawn: bool = False,
        index: int | None = None,
    ) -> None:
        """Trace ``image`` of class ``label``: a gallery mistake (validation row ``index``),
        a drawing (``drawn``)."""
        self.picker.show_digit(image, label, source, drawn=drawn, index=index)

    def say(self, message: str) -> None:
        """A message where the steps are (nothing to trace, say why)."""
        self.walker.clear(message)

    def shown_epoch(self) -> int | None:
        """The epoch (0-based) of the network traced now, None before a trace."""
        return None if self.traced is None else self.traced.job.network.epoch

    def kept_epochs(self) -> list[int]:
        return sorted(self._networks)

    def choose_epoch(self, epoch: int) -> None:
        """Stay on ``epoch`` (one of :meth:`kept_epochs`), as choosing it in the list does."""
        if epoch in self._networks:
            self.follow_live.blockSignals(True)
            self.follow_live.setChecked(False)
            self.follow_live.blockSignals(False)
            self._epoch = epoch
            self._show_epochs()
            self._retrace(asked=True)

    def shut_down(self, wait_ms: int) -> bool:
        """Stop tracing (the window closes); True when no trace runs any more."""
        self.walker.play(False)
        return self.tracer.shut_down(wait_ms)

    # -- events ---------------------------------------------------------------------
    def _on_epoch(self, ev: EpochReport) -> None:
        self._rates[ev.epoch] = (ev.learning_rate, ev.batch_size)

    def _on_snapshot(self, snap: Snapshot) -> None:
        if not snap.params:
            return
        self._networks[snap.epoch] = Network(
            epoch=snap.epoch,
            params=tuple(snap.params),
            activation=snap.activation,
            image_shape=tuple(snap.image_shape),
            class_names=tuple(snap.class_names),
        )
        if self.follow_live.isChecked() or self._epoch is None:
            self._epoch = snap.epoch
        self._forget_old()
        self._show_epochs()
        if self.follow_live.isChecked() or self.traced is None:
            self._retrace()

    def _on_run_reset(self) -> None:
        self.tracer.drop()
        self._latest.drop()
        self._networks.clear()
        self._rates.clear()
        self._epoch = None
        self._wanted = self._learn_wanted = -1
        self.traced = self.learned = None
        self._stale = False
        self.follow_live.setChecked(True)
        self._show_epochs()
        self.learn.clear()
        self.learn.set_enabled(False)
        self.walker.clear(NO_NETWORK)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._retrace(asked=True)

    def _restyle(self, _p: style.Palette) -> None:
        """The pictures are coloured in the worker: trace the digit again in the new maps
        (at once if shown, else when shown), and take the step again if one was taken."""
        if self.traced is not None:
            self._retrace(asked=True)
        learned = self.learned
        if learned is not None:
            self._jobs += 1
            self._learn_wanted = self._jobs
            self.tracer.submit(dataclasses.replace(learned.job, number=self._jobs))

    # -- tracing --------------------------------------------------------------------
    def _network(self) -> Network | None:
        net = self._networks.get(self._epoch) if self._epoch is not None else None
        if net is None:
            return None
        lr, batch = self._rates.get(net.epoch, (None, None))
        if lr is None:
            return net
        return Network(
            epoch=net.epoch,
            params=net.params,
            activation=net.activation,
            image_shape=net.image_shape,
            class_names=net.class_names,
            learning_rate=lr,
            batch_size=batch,
        )

    def _retrace(self, asked: bool = False) -> None:
        net, digit = self._network(), self.picker.digit
        if net is None:
            self.walker.clear(NO_NETWORK)
            return
        if digit is None:
            self.walker.clear(
                "Choose a digit: browse the validation set, use your drawing, "
                "or press Look inside on a mistake in the gallery."
            )
            return
        if digit.x.size != net.sizes[0] or digit.label >= net.sizes[-1]:
            self.walker.clear(
                f"This digit ({digit.x.size} pixels) does not fit the network "
                f"({net.sizes[0]} inputs, {net.sizes[-1]} classes): choose another."
            )
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._jobs += 1
        self._wanted = self._jobs
        if asked:
            self._asked = self._jobs
        self.tracer.submit(Job(number=self._jobs, kind="trace", digit=digit, network=net))

    def _on_picked(self, _digit: Digit) -> None:
        self.learned = None
        self.learn.clear()
        self._retrace(asked=True)

    def _on_traced(self, result: Traced) -> None:
        if result.job.number == self._wanted:  # else a newer digit or epoch was asked for since
            self._latest.offer(result)
            if result.job.number == self._asked:
                self._latest.flush()

    def _draw_traced(self, result: Traced) -> None:
        if result.job.number != self._wanted:
            return
        self.traced = result
        net = result.job.network
        self.walker.set_steps(result.pictures, result.trace, net.class_names)
        self.learn.set_rates(net.learning_rate, net.batch_size)
        self.learn.set_enabled(True)
        self._show_title()

    def _on_learn(self, rate: float) -> None:
        t = self.traced
        if t is None:
            return
        val = self._val
        if val is not None and (val[0].shape[1] != t.trace.sizes[0]):
            val = None
        self._jobs += 1
        self._learn_wanted = self._jobs
        self.learn.busy()
        self.tracer.submit(
            Job(
                number=self._jobs,
                kind="learn",
                digit=t.job.digit,
                network=t.job.network,
                before=t.trace,
                learning_rate=rate,
                X_val=None if val is None else val[0],
                y_val=None if val is None else val[1],
            )
        )

    def _on_learned(self, result: Learned) -> None:
        if result.job.number != self._learn_wanted:
            return
        self.learned = result
        self.learn.show_learned(result, result.job.network.class_names)

    def _on_failed(self, job: Job, message: str) -> None:
        if job.kind == "learn" and job.number == self._learn_wanted:
            self.learn.clear(f"Could not take the step: {message}")
        elif job.number == self._wanted:
            self.walker.clear(f"Could not trace this digit: {message}")

    # -- epochs ---------------------------------------------------------------------
    def _on_follow(self, on: bool) -> None:
        if on and self._networks:
            self._epoch = max(self._networks)
            self._show_epochs()
            self._retrace(asked=True)
        else:
            self._show_title()

    def _on_epoch_chosen(self, index: int) -> None:
        epoch = self.epoch_choice.itemData(index)
        if epoch is not None and epoch != self._epoch:
            self.choose_epoch(int(epoch))

    def _forget_old(self) -> None:
        epochs = sorted(self._networks)
        keep = {epochs[0], epochs[-1], self._epoch}
        total = sum(n.nbytes for n in self._networks.values())
        for e in epochs:
            if total <= KEEP_BYTES:
                break
            if e not in keep:
                total -= self._networks.pop(e).nbytes

    def _show_epochs(self) -> None:
        self.epoch_choice.blockSignals(True)
        self.epoch_choice.clear()
        for e in sorted(self._networks, reverse=True):
            self.epoch_choice.addItem(f"epoch {e + 1}", e)
            if e == self._epoch:
                self.epoch_choice.setCurrentIndex(self.epoch_choice.count() - 1)
        self.epoch_choice.setEnabled(bool(self._networks))
        self.epoch_choice.blockSignals(False)
        self._show_title()

    def _show_title(self) -> None:
        if not self._networks or self._epoch is None:
            self.header.set_status("")
            return
        net = self._networks.get(self._epoch)
        sizes = "-".join(str(n) for n in net.sizes) if net is not None else "?"
        latest = max(self._networks)
        if self.follow_live.isChecked():
            how = "following the run"
        elif latest > self._epoch:
            how = f"staying here while the run is at epoch {latest + 1}"
        else:
            how = "staying on this epoch"
        self.header.set_status(f"{sizes} · epoch {self._epoch + 1} · {how}")
