"""Fool the network: the smallest change that makes it read a digit as another class.

A :class:`FoolPanel` sits under a digit the network has read (the drawing on the
Draw tab, the selected tile of the gallery). "Make it read as k" runs
:func:`core.training.adversarial.make_it_read_as` in a :class:`~gui.shared.jobs.Job`
on an inference copy of the snapshot's network, each pixel moving at most the
bound chosen beside it, and shows the changed digit, the change itself (blue
darker, red brighter, saturated at its largest value, with a key), its size (L2
and L∞, the latter also in grey levels) and the ten probabilities before and
after. When no change within the bound does it, it says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.training.events import Snapshot
from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.colour_key import ColourKey, gradient
from gui.shared.jobs import Job, run_job
from gui.shared.legend import Legend
from gui.shared.tiles import TileRow

#: The per-pixel bound offered first: a visible but light change on MNIST.
DEFAULT_BOUND = 0.3


class FoolPanel(QWidget):
    """The "make it read as k" button for one image and network, and what the change did.

    ``hint`` says how to give it an image ("Draw a digit first."); ``narrow`` puts the
    bound on a line of its own, for a narrow column.
    """

    def __init__(self, hint: str, narrow: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint = hint
        self._snap: Snapshot | None = None
        self._image: np.ndarray | None = None
        self._job: Job | None = None
        self._result: Any = None

        self.target = QComboBox()
        self.target.setToolTip("The class the network should read")
        self.button = QPushButton("Make it read as")
        self.button.setToolTip(
            "Find the smallest change to the image (each pixel moving at most the bound) "
            "that makes the network answer the chosen class"
        )
        self.button.clicked.connect(self.run)
        self.bound = QDoubleSpinBox()
        self.bound.setRange(0.01, 1.0)
        self.bound.setSingleStep(0.05)
        self.bound.setDecimals(2)
        self.bound.setValue(DEFAULT_BOUND)
        self.bound.setPrefix("± ")
        self.bound.setToolTip(
            "How far each pixel may move at most (pixel values run from 0 to 1): the L∞ bound"
        )
        row = QGridLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setHorizontalSpacing(style.SPACE_M)
        row.setVerticalSpacing(style.SPACE_S)
        row.addWidget(self.button, 0, 0)
        row.addWidget(self.target, 0, 1)
        if narrow:
            row.addWidget(QLabel("each pixel"), 1, 0, Qt.AlignmentFlag.AlignRight)
            row.addWidget(self.bound, 1, 1)
        else:
            row.addWidget(self.bound, 0, 2)
        row.setColumnStretch(3, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.pictures = TileRow(columns=3, min_side=56, max_side=112)
        # A narrow column has no room for the key's title: its tooltip says it all.
        self.key = ColourKey(gradient("diverging"), title="" if narrow else "change")
        self.key.setToolTip("Blue: the pixel got darker; red: brighter; the middle: unchanged")
        self.key.setVisible(False)
        self.bars = pg.PlotWidget()
        self.bars.setMinimumHeight(110)
        self.bars.setMaximumHeight(170)
        plot = self.bars.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.setYRange(0, 1, padding=0.02)
        plot.setLabel("left", "probability")
        style.grid(plot, x=False)
        style.style_view(self.bars, "Fool: probabilities before and after")
        self.legend = Legend()  # beside the bars, never over them
        self.legend.setVisible(False)
        self._before = pg.BarGraphItem(x=[], height=[], width=0.38, pen=None)
        self._after = pg.BarGraphItem(x=[], height=[], width=0.38, pen=None)
        plot.addItem(self._before)
        plot.addItem(self._after)
        self.bars.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, style.SPACE_S, 0, 0)
        layout.setSpacing(style.SPACE_S)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.pictures)
        layout.addWidget(self.key)
        layout.addWidget(self.legend)
        layout.addWidget(self.bars)
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        self._show_subject()

    def _restyle(self, p: style.Palette) -> None:
        self._before.setOpts(brush=pg.mkBrush(p.neutral))
        self._after.setOpts(brush=pg.mkBrush(p.bad))
        self.legend.set_entries([(p.neutral, "before", "box"), (p.bad, "after", "box")])
        self._show_result()  # the change is drawn in the diverging map of the scheme

    # -- the subject ---------------------------------------------------------------------
    def set_subject(
        self, snap: Snapshot | None, image: np.ndarray | None, probs: np.ndarray | None = None
    ) -> None:
        """The network (``snap``'s parameters) and the image ``(d,)`` or shaped, to change.

        Cheap: called as often as the image changes. A new subject forgets the result
        shown (it was about another image or network) and drops a search under way.
        ``probs`` (the network's answer) picks the runner-up as the target offered.
        """
        usable = snap is not None and bool(snap.params)
        image = None if image is None or not usable else np.asarray(image, dtype=np.float32)
        same_net = snap is self._snap
        same_image = (
            image is not None
            and self._image is not None
            and image.shape == self._image.shape
            and np.array_equal(image, self._image)
        )
        if same_net and (same_image or (image is None and self._image is None)):
            return
        names = tuple(snap.class_names) if usable else ()
        if names != tuple(self.target.itemText(i) for i in range(self.target.count())):
            self.target.clear()
            self.target.addItems(list(names))
        if probs is not None and len(probs) == len(names) and len(names) > 1:
            self.target.setCurrentIndex(int(np.argsort(-np.asarray(probs))[1]))
        self._snap = snap if usable else None
        self._image = image
        self._drop()
        self._show_subject()

    def run(self) -> None:
        """Search for the change, in a thread: the result replaces what is shown."""
        snap, image = self._snap, self._image
        if snap is None or image is None or self._job is not None:
            return
        target, bound = self.target.currentIndex(), float(self.bound.value())

        def work(_progress):
            from core.nn.model import MLP
            from core.training import adversarial

            model = MLP.from_params(snap.params, snap.activation)
            return adversarial.make_it_read_as(model, image, target, max_epsilon=bound)

        self._result = None
        self._show_result()
        self.message.setText(f"Looking for the smallest change that reads as {self._name(target)}…")
        self._job = run_job(
            work, "fool the network", self, done=self._on_done, failed=self._on_failed,
            ended=self._on_ended,
        )  # fmt: skip
        self.button.setEnabled(False)

    # -- what is shown -------------------------------------------------------------------
    def result(self) -> Any:
        """The :class:`~core.training.adversarial.Adversarial` shown (None: none)."""
        return self._result

    def _name(self, c: int) -> str:
        names = () if self._snap is None else self._snap.class_names
        return names[c] if 0 <= c < len(names) else str(c)

    def _drop(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._result = None

    def _show_subject(self) -> None:
        ready = self._snap is not None and self._image is not None
        self.button.setEnabled(ready and self._job is None)
        self.target.setEnabled(self._snap is not None)
        if self._snap is None:
            self.message.setText("Train or open a checkpoint to fool its network.")
        elif self._image is None:
            self.message.setText(self._hint)
        else:
            self.message.setText(
                "Choose a class and a bound for each pixel, then press the button: the "
                "smallest change that makes the network read it so."
            )
        self._show_result()

    def _on_done(self, result: Any) -> None:
        self._result = result
        r, name = result, self._name(result.target)
        before = self._name(r.predicted_before)
        levels = round(r.linf * 255)
        size = f"L2 {r.l2:.2f}, L∞ {r.linf:.3f} ({levels} grey levels at most)"
        if r.success and r.linf == 0:
            self.message.setText(f"It already reads <b>{name}</b>: nothing to change.")
        elif r.success:
            self.message.setText(
                f"Now read as <b>{name}</b> ({r.probs_after[r.target]:.0%} sure; it read "
                f"{before}). The change: {size}, found in {r.steps} steps."
            )
        else:
            self.message.setText(
                f"Could not make it read as <b>{name}</b> with each pixel moving at most "
                f"± {r.epsilon:.2f}: it reads {self._name(r.predicted_after)} "
                f"({r.probs_after[r.predicted_after]:.0%}) after a change of {size}. "
                "Allow a larger change and try again."
            )
        self._show_result()

    def _on_failed(self, message: str, _details: str) -> None:
        self.message.setText(f"Could not search: {message}")

    def _on_ended(self) -> None:
        if self._job is not None and not self._job.is_running:
            self._job = None
        self.button.setEnabled(self._snap is not None and self._image is not None)

    def _show_result(self) -> None:
        r = self._result
        shown = r is not None
        self.key.setVisible(shown)
        self.bars.setVisible(shown)
        self.legend.setVisible(shown)
        if not shown:
            self.pictures.set_tiles([])
            return
        shape = self._snap.image_shape
        change = np.asarray(r.change).reshape(shape)
        flat = change.mean(axis=2) if change.ndim == 3 else change
        self.pictures.set_tiles(
            [
                (cm.to_qimage(np.asarray(r.original).reshape(shape)), "before"),
                (
                    cm.to_qimage(np.asarray(r.image).reshape(shape)),
                    f"reads {self._name(r.predicted_after)}",
                ),
                (cm.diverging_qimage(flat, r.linf or None), "the change"),
            ]
        )
        self.key.set_labels(f"−{r.linf:.3g}", f"+{r.linf:.3g}")
        k = len(r.probs_before)
        x = np.arange(k, dtype=float)
        self._before.setOpts(x=x - 0.2, height=np.asarray(r.probs_before))
        self._after.setOpts(x=x + 0.2, height=np.asarray(r.probs_after))
        axis = self.bars.getPlotItem().getAxis("bottom")
        names = self._snap.class_names
        axis.setTicks([[(i, n if len(n) <= 3 else str(i)) for i, n in enumerate(names)]])
        self.bars.getPlotItem().setXRange(-0.6, k - 0.4, padding=0)
