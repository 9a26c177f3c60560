"""The timeline bar: drag back through the run's recorded moments, play them, fork from one.

A slider over the current run's moments (the start, batches 1, 2, 4, 8, ... of the
first epoch, every epoch's end), with its last position *live*. Dragging it sets
every view to the moment under it while training goes on; the bar then says so
("Viewing epoch 3 of 20 — training goes on") on a background tinted with the
accent colour, and *Back to live* (or dragging to the end) returns. *Play* walks
the moments in order at the chosen speed, the first epoch batch by batch;
*Continue from here…* forks the run from the moment shown.

The bar only shows the session's :class:`~gui.shared.state.TimelineView` and sends
what the person asks for as signals; the session decides.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QWidget,
)

from gui.shared import style
from gui.shared.header import help_button
from gui.shared.state import RunState, SessionView, TimelineView, moment_text

#: Play's speeds (moments a second) and how the choice names them.
SPEEDS = ((0.5, "½ a second"), (1.0, "1 a second"), (2.0, "2 a second"), (4.0, "4 a second"))
DEFAULT_SPEED = 2.0


def bar_text(timeline: TimelineView, state: RunState) -> str:
    """What the bar says: live, or which moment every view shows."""
    n = len(timeline.moments)
    if timeline.note and not n:
        return timeline.note
    if not n:
        if state in (RunState.LOADED,):
            return "An opened checkpoint has no timeline here: Start records one as it trains."
        return "The timeline fills in as the run trains: its start, early batches, every epoch."
    m = timeline.moment
    if m is None:
        return f"Live · {n} moments recorded; drag back to look"
    where = moment_text(m, timeline.total_epochs)
    going = " — training goes on" if state.live else ""
    loading = " (loading…)" if timeline.loading else ""
    return f"Viewing {where}{going}{loading}"


class TimelineBar(QFrame):
    """The slider and its buttons; see the module doc."""

    moment_picked = Signal(int)
    live_requested = Signal()
    play_requested = Signal(float)
    stop_requested = Signal()
    speed_changed = Signal(float)
    continue_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self._timeline = TimelineView()
        self._state = RunState.IDLE
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Replay the run's recorded moments, every view following")
        self.play_button.clicked.connect(self._on_play_clicked)
        self.speed = QComboBox()
        for value, label in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setCurrentIndex([v for v, _ in SPEEDS].index(DEFAULT_SPEED))
        self.speed.setToolTip("How many recorded moments Play shows a second")
        self.speed.currentIndexChanged.connect(
            lambda i: self.speed_changed.emit(float(self.speed.itemData(i)))
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(160)
        self.slider.setPageStep(1)
        self.slider.setToolTip(
            "The run's recorded moments, from its start (left) to live (right): drag to set "
            "every view to one"
        )
        self.slider.valueChanged.connect(self._on_slider)
        self.label = QLabel()
        self.label.setMinimumWidth(120)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live_button = QPushButton("Back to live")
        self.live_button.setToolTip("Every view shows the run as it is now")
        self.live_button.clicked.connect(self.live_requested)
        self.continue_button = QPushButton("Continue from here…")
        self.continue_button.setToolTip(
            "Start a new run from the moment shown, with settings you may change: a branch "
            "of this run"
        )
        self.continue_button.clicked.connect(self.continue_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_S, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_M)
        title = QLabel("Timeline")
        title.setObjectName("viewTitle")
        layout.addWidget(title)
        layout.addWidget(self.play_button)
        layout.addWidget(self.speed)
        layout.addWidget(self.slider, 3)
        layout.addWidget(self.label, 4)
        layout.addWidget(self.live_button)
        layout.addWidget(self.continue_button)
        layout.addWidget(help_button("timeline", self))
        # Viewing a recorded moment tints the bar in the accent (the theme's style sheet).
        self.setProperty("viewing", False)
        self._show(self._timeline, self._state)

    # -- reading (what the bar shows) ---------------------------------------------------
    def text(self) -> str:
        return self.label.text()

    @property
    def viewing(self) -> bool:
        return bool(self.property("viewing"))

    def play_speed(self) -> float:
        return float(self.speed.currentData())

    # -- from the session -------------------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        self._show(view.timeline, view.state)

    def _show(self, timeline: TimelineView, state: RunState) -> None:
        self._timeline, self._state = timeline, state
        n = len(timeline.moments)
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setRange(0, n)
            self.slider.setValue(n if timeline.viewing is None else timeline.viewing)
            self.slider.blockSignals(False)
        self.slider.setEnabled(n > 0)
        viewing = timeline.viewing is not None
        if self.viewing != viewing:
            self.setProperty("viewing", viewing)
            self.style().unpolish(self)
            self.style().polish(self)
        self.label.setText(bar_text(timeline, state))
        self.label.setToolTip(self.label.text())
        self.live_button.setEnabled(viewing)
        self.play_button.setEnabled(n > 1)
        self.play_button.setText("⏸ Pause" if timeline.playing else "▶ Play")
        self.continue_button.setEnabled(n > 0 and not timeline.loading)

    # -- to the session -----------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        if value >= len(self._timeline.moments):
            self.live_requested.emit()
        else:
            self.moment_picked.emit(value)

    def _on_play_clicked(self) -> None:
        if self._timeline.playing:
            self.stop_requested.emit()
        else:
            self.play_requested.emit(self.play_speed())
