"""Learn from this digit: one step of gradient descent on a copy, and what it did.

Training averages the gradients of a batch of m digits, so one digit's share of a
step is the run's learning rate divided by m: that is the default step here, and
it barely moves anything. Bigger steps (10x, 100x, the run's whole rate on this one
digit) show what the gradient points at, and what a step that serves one digit
costs the others: the digit's probabilities before and after, the templates the
step changed most, and the validation accuracy before and after. The run's own
network is never touched: the step is taken on a copy (``Trace.learn``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.shared import style
from gui.shared.pacing import cache_static_parts
from gui.views.inside_panel import ArrayPanel
from gui.views.inside_work import Learned

#: The panel's height: enough for its text, the steps above get the rest.
MIN_HEIGHT, MAX_HEIGHT = 190, 240
#: The step sizes offered, as multiples of one digit's share of a batch step.
MULTIPLES = (1, 10, 100)
IDLE_TEXT = (
    "Take one step of gradient descent on this digit alone, on a copy of the network: "
    "see its probabilities and the templates change, and what it does to the others."
)


class LearnPanel(QWidget):
    """The step size, the button, and the step's effect; ``learn_requested`` carries the rate."""

    learn_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rate: float | None = None
        self._batch: int | None = None
        self.size_choice = QComboBox()
        self.size_choice.setToolTip(
            "How big a step: this digit's share of one batch step (the run's learning rate "
            "divided by its batch size), larger multiples of it, or the run's whole rate"
        )
        self.learn_button = QPushButton("Learn from this digit")
        self.learn_button.setToolTip(
            "One SGD step on this digit alone, on a copy: the run's network does not change"
        )
        self.learn_button.clicked.connect(self._on_learn)
        self._text = QLabel(IDLE_TEXT)
        self._text.setWordWrap(True)
        self._text.setTextFormat(Qt.TextFormat.RichText)
        self._text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self._plot = pg.PlotWidget()
        self._plot.setMinimumSize(180, 110)
        item = self._plot.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        item.setYRange(0, 1, padding=0.02)
        item.setLabel("left", "P")
        style.grid(item, x=False)
        style.style_view(self._plot, "Inside: one step's probabilities")
        cache_static_parts(item)
        self._before = pg.BarGraphItem(x=[], height=[], width=0.38, pen=None)
        self._after = pg.BarGraphItem(x=[], height=[], width=0.38, pen=None)
        self._plot.addItem(self._before)
        self._plot.addItem(self._after)
        self.templates = ArrayPanel()
        self.templates.show_picture(None)

        self.size_choice.setMinimumContentsLength(24)
        left = QWidget()
        left.setMaximumWidth(420)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(style.SPACE_S)
        column.addWidget(self.learn_button)
        column.addWidget(self.size_choice)
        column.addWidget(self._text, 1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(style.SPACE_M)
        row.addWidget(left, 2)
        row.addWidget(self._plot, 2)
        row.addWidget(self.templates, 3)
        row.addStretch(0)  # takes the room of the pictures while there are none
        self._row = row
        self.setMinimumHeight(MIN_HEIGHT)
        self.setMaximumHeight(MAX_HEIGHT)
        self.set_rates(None, None)
        self._shown: Learned | None = None
        self.clear()
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        self._before.setOpts(brush=pg.mkBrush(p.neutral))
        if self._shown is not None:
            self._colour_after(self._shown)

    # -- public ---------------------------------------------------------------------
    def set_rates(self, learning_rate: float | None, batch_size: int | None) -> None:
        """The run's learning rate and batch size at the epoch traced (None: unknown)."""
        if (learning_rate, batch_size) == (self._rate, self._batch):
            return
        self._rate, self._batch = learning_rate, batch_size
        keep = self.size_choice.currentIndex()
        self.size_choice.clear()
        for rate, text in self.choices():
            self.size_choice.addItem(text, rate)
        self.size_choice.setCurrentIndex(max(0, min(keep, self.size_choice.count() - 1)))

    def choices(self) -> list[tuple[float, str]]:
        """``(rate, text)`` of each step size offered."""
        lr = self._rate if self._rate is not None else 0.1
        m = self._batch if self._batch is not None else 1
        share = lr / m
        out = [(share, f"its share of a batch step: {lr:g} / {m} = {share:.3g}")]
        out += [(share * k, f"{k}x its share: {share * k:.3g}") for k in MULTIPLES[1:]]
        out.append((lr, f"the run's whole rate on this one digit: {lr:g}"))
        return [(min(rate, 100.0), text) for rate, text in out]

    def chosen_rate(self) -> float:
        data = self.size_choice.currentData()
        return float(data) if data is not None else self.choices()[0][0]

    def set_enabled(self, on: bool) -> None:
        self.learn_button.setEnabled(on)

    def clear(self, text: str = IDLE_TEXT) -> None:
        self._shown = None
        self._text.setText(text)
        self._before.setOpts(x=[], height=[])
        self._after.setOpts(x=[], height=[])
        self._plot.setVisible(False)
        self.templates.show_picture(None)
        self._row.setStretch(3, 1)

    def busy(self) -> None:
        self._text.setText("Taking the step on a copy and scoring the validation set…")

    def text(self) -> str:
        return self._text.text()

    def _colour_after(self, learned: Learned) -> None:
        """The bars after the step: the true class right, the new answer (if another) wrong."""
        p, after = style.palette(), learned.effect.after
        y, k = learned.effect.before.label, after.probs.size
        colours = [
            p.good if c == y else p.bad if c == after.prediction else p.neutral for c in range(k)
        ]
        self._after.setOpts(
            x=np.arange(k) + 0.2,
            height=np.asarray(after.probs, np.float64),
            brushes=[pg.mkBrush(c) for c in colours],
        )

    def _on_learn(self) -> None:
        self.learn_requested.emit(self.chosen_rate())

    def show_learned(self, learned: Learned, class_names: tuple[str, ...]) -> None:
        """Draw what the step did: probabilities, templates, validation accuracy."""
        e = learned.effect
        before, after = e.before, e.after
        y = before.label
        k = before.probs.size
        x = np.arange(k)
        self._before.setOpts(x=x - 0.2, height=np.asarray(before.probs, np.float64))
        self._shown = learned
        self._colour_after(learned)
        axis = self._plot.getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, n if len(n) <= 3 else str(i)) for i, n in enumerate(class_names)]])
        name = class_names[y] if y < len(class_names) else str(y)
        lines = [
            f"Step of {e.learning_rate:.3g} on a copy: "
            f"P[{name}] {float(before.probs[y]):.3f} → <b>{float(after.probs[y]):.3f}</b>, "
            f"loss {before.loss:.3f} → <b>{after.loss:.3f}</b>.",
        ]
        if e.val_acc_before is not None and e.val_acc_after is not None:
            change = e.val_acc_after - e.val_acc_before
            lines.append(
                f"Validation accuracy {e.val_acc_before:.2%} → <b>{e.val_acc_after:.2%}</b> "
                f"({change:+.2%})."
            )
        else:
            lines.append("Validation accuracy: no validation set to score.")
        lines.append(
            "<small>Bars: P before (grey) and after (green its class, red another answer). "
            "The run's own network is unchanged.</small>"
        )
        self._plot.setVisible(True)
        self._row.setStretch(3, 0)
        self._text.setText("<br>".join(lines))
        self.templates.show_picture(learned.templates)
