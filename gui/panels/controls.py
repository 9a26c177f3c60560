"""The control panel: what to train, how, and the buttons that run it.

The panel is the one place the window's settings live: :meth:`ControlPanel.config`
turns the widgets into a validated :class:`~core.training.config.Config` and
:meth:`ControlPanel.set_config` puts one back (for stored settings and loaded
runs). The three sliders marked "live" act while training runs: they emit
``live_changed`` and the window forwards the value to the run's
``TrainingControl``. Everything else applies to the next run (Start or Reset).
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.data.catalog import DATASETS
from core.training.config import ACTIVATIONS, AUGMENTATIONS, OPTIMIZERS, Config

FOLDER_ITEM = "Folder…"

OPTIMIZER_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
#: A learning rate that works for each optimiser; offered when the optimiser changes.
OPTIMIZER_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.001, "adam": 0.001}
ACTIVATION_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}
AUGMENT_NAMES = {"none": "None", "shift": "Shifts (±2 px)", "affine": "Affine + elastic"}

LR_MIN, LR_MAX, LR_STEPS_PER_DECADE = 1e-4, 1.0, 100
HIDDEN_MIN, HIDDEN_MAX, HIDDEN_STEPS = 16, 1024, 96
BATCH_MIN_LOG2, BATCH_MAX_LOG2 = 3, 10  # 8 .. 1024
DEPTH_MAX = 4


def format_lr(lr: float) -> str:
    """``0.1``, ``0.0032``, ``1.5e-04``: three significant digits, readable at a glance."""
    return f"{lr:.2g}" if lr >= 1e-3 else f"{lr:.1e}"


def lr_to_position(lr: float) -> int:
    """Slider position of ``lr`` on the log scale (clamped)."""
    lr = min(max(lr, LR_MIN), LR_MAX)
    return round((math.log10(lr) - math.log10(LR_MIN)) * LR_STEPS_PER_DECADE)


def position_to_lr(pos: int) -> float:
    """The learning rate at a slider position: ``10 ** (-4 + pos / 100)``."""
    return float(f"{10.0 ** (math.log10(LR_MIN) + pos / LR_STEPS_PER_DECADE):.3g}")


def position_to_hidden(pos: int) -> int:
    """Hidden width at a slider position: log scale 16..1024, multiples of 8 (16 at the left)."""
    raw = HIDDEN_MIN * (HIDDEN_MAX / HIDDEN_MIN) ** (pos / HIDDEN_STEPS)
    return int(min(max(8 * round(raw / 8), HIDDEN_MIN), HIDDEN_MAX))


def hidden_to_position(n: int) -> int:
    n = min(max(n, HIDDEN_MIN), HIDDEN_MAX)
    return round(HIDDEN_STEPS * math.log(n / HIDDEN_MIN) / math.log(HIDDEN_MAX / HIDDEN_MIN))


class LiveSlider(QWidget):
    """A horizontal slider with its value shown beside it.

    The value is reported (``committed``) when the handle is released or moved by
    keyboard or wheel, not at every pixel of a drag: one change for the training
    loop per gesture. The label follows the handle while dragging.
    """

    committed = Signal(object)

    def __init__(self, lo: int, hi: int, to_value, to_text, parent: QWidget | None = None):
        super().__init__(parent)
        self._to_value, self._to_text = to_value, to_text
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(lo, hi)
        self.slider.setTracking(False)
        self.label = QLabel()
        self.label.setObjectName("sliderValue")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("0.0e-00 "))
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self._value = to_value(self.slider.value())
        self.slider.sliderMoved.connect(self._show_position)
        self.slider.valueChanged.connect(self._on_value_changed)
        self._show(self._value)

    def value(self):
        return self._value

    def set_value(self, value, position: int) -> None:
        """Show ``value`` exactly (the handle goes to the nearest position); reports it."""
        self._value = value
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self._show(value)
        self.committed.emit(value)

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.label.setToolTip(text)

    def _show_position(self, pos: int) -> None:
        self._show(self._to_value(pos))

    def _show(self, value) -> None:
        self.label.setText(self._to_text(value))

    def _on_value_changed(self, pos: int) -> None:
        self._value = self._to_value(pos)
        self._show(self._value)
        self.committed.emit(self._value)


class ControlPanel(QWidget):
    """Settings of the next run, live sliders for the current one, and the run buttons."""

    live_changed = Signal(str, object)  # "learning_rate" | "batch_size" | "hidden", value
    start_clicked = Signal()
    pause_clicked = Signal()
    step_clicked = Signal()
    stop_clicked = Signal()
    reset_clicked = Signal()
    folder_chosen = Signal(str)

    def __init__(self, config: Config | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = config or Config()
        self._state = "idle"
        self._build()
        self.set_config(self._base)
        self.set_state("idle")

    # -- construction ---------------------------------------------------------
    def _build(self) -> None:
        self.dataset = QComboBox()
        for key, text in DATASETS.items():
            self.dataset.addItem(text, key)
        self.dataset.addItem(FOLDER_ITEM, "")
        self.dataset.setToolTip(
            "Images to train on. MNIST and Fashion-MNIST are found on disk or downloaded; "
            "the 8×8 digits are always available offline. Folder… reads IDX files from a "
            "folder. Applies to the next run."
        )
        self.dataset.activated.connect(self._on_dataset_activated)
        self.augment = QComboBox()
        for key in AUGMENTATIONS:
            self.augment.addItem(AUGMENT_NAMES.get(key, key), key)
        self.augment.setToolTip(
            "Random distortions of the training images each epoch: harder to memorise, "
            "better on new digits. Applies to the next run."
        )

        self.hidden = LiveSlider(0, HIDDEN_STEPS, position_to_hidden, str)
        self.hidden.setToolTip(
            "Units in the first hidden layer (16 to 1024). Live: while training, the layer "
            "is resized at the next batch and keeps what it learned."
        )
        self.hidden.committed.connect(lambda v: self._live("hidden", v))
        self.depth = QSpinBox()
        self.depth.setRange(1, DEPTH_MAX)
        self.depth.setToolTip(
            "Number of hidden layers, each as wide as the hidden size. Applies to the next run."
        )
        self.activation = QComboBox()
        for key in ACTIVATIONS:
            self.activation.addItem(ACTIVATION_NAMES.get(key, key), key)
        self.activation.setToolTip("Non-linearity of the hidden layers. Applies to the next run.")

        self.optimizer = QComboBox()
        for key in OPTIMIZERS:
            self.optimizer.addItem(OPTIMIZER_NAMES.get(key, key), key)
        self.optimizer.setToolTip(
            "How gradients turn into weight updates. Changing it also proposes a learning "
            "rate that suits it. Applies to the next run."
        )
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        self._optimizer_key = "sgd"
        lr_positions = round(math.log10(LR_MAX / LR_MIN) * LR_STEPS_PER_DECADE)
        self.learning_rate = LiveSlider(0, lr_positions, position_to_lr, format_lr)
        self.learning_rate.setToolTip(
            "Step size of gradient descent, on a log scale from 0.0001 to 1. Live: takes "
            "effect from the next batch."
        )
        self.learning_rate.committed.connect(lambda v: self._live("learning_rate", v))
        self.batch_size = LiveSlider(BATCH_MIN_LOG2, BATCH_MAX_LOG2, lambda p: 2**p, str)
        self.batch_size.slider.setPageStep(1)
        self.batch_size.setToolTip(
            "Images per gradient step (8 to 1024). Live: takes effect from the next batch."
        )
        self.batch_size.committed.connect(lambda v: self._live("batch_size", v))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000)
        self.epochs.setToolTip("Epochs to train in all (passes over the training set).")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip(
            "Random seed of the initial weights, the validation split and the shuffling: "
            "the same seed repeats the same run. Applies to the next run."
        )

        data = QGroupBox("Data")
        f = QFormLayout(data)
        f.addRow("Dataset", self.dataset)
        f.addRow("Augment", self.augment)
        net = QGroupBox("Network")
        f = QFormLayout(net)
        f.addRow(self._live_label("Hidden"), self.hidden)
        f.addRow("Layers", self.depth)
        f.addRow("Activation", self.activation)
        opt = QGroupBox("Training")
        f = QFormLayout(opt)
        f.addRow("Optimiser", self.optimizer)
        f.addRow(self._live_label("Learn rate"), self.learning_rate)
        f.addRow(self._live_label("Batch"), self.batch_size)
        f.addRow("Epochs", self.epochs)
        f.addRow("Seed", self.seed)

        self.start_button = self._button(
            "Start", "Start a new run with these settings (Space)", self.start_clicked
        )
        self.pause_button = self._button(
            "Pause", "Pause or resume the run (Space)", self.pause_clicked
        )
        self.step_button = self._button(
            "Step", "Train exactly one more epoch, then pause (S)", self.step_clicked
        )
        self.stop_button = self._button(
            "Stop", "End the run after the current batch", self.stop_clicked
        )
        self.reset_button = self._button(
            "Reset",
            "End the run, forget its network and apply every setting (R)",
            self.reset_clicked,
        )
        self.start_button.setObjectName("startButton")
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0, 1, 2)
        buttons.addWidget(self.pause_button, 0, 2, 1, 2)
        buttons.addWidget(self.step_button, 1, 0, 1, 2)
        buttons.addWidget(self.stop_button, 1, 2)
        buttons.addWidget(self.reset_button, 1, 3)

        self.note = QLabel("")
        self.note.setObjectName("controlsNote")
        self.note.setWordWrap(True)
        self.note.setToolTip("Settings that wait for the next run")

        layout = QVBoxLayout(self)
        layout.addWidget(data)
        layout.addWidget(net)
        layout.addWidget(opt)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        self._run_area = layout  # the window adds the progress display below the buttons
        for w in (self.augment, self.depth, self.activation, self.epochs, self.seed):
            signal = w.currentIndexChanged if isinstance(w, QComboBox) else w.valueChanged
            signal.connect(self._update_note)
        self.dataset.currentIndexChanged.connect(self._update_note)

    @staticmethod
    def _live_label(text: str) -> QLabel:
        label = QLabel(f"{text} <span style='color:#2e7d32'>●</span>")
        label.setToolTip("Live: changes take effect while training runs")
        return label

    def _button(self, text: str, tip: str, signal) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # keep Space for the window's shortcut
        b.clicked.connect(signal)
        return b

    def add_run_widget(self, widget: QWidget) -> None:
        """Place ``widget`` (the progress display) under the buttons."""
        self._run_area.insertWidget(self._run_area.count() - 1, widget)
        self._run_area.addStretch(1)

    # -- settings -------------------------------------------------------------
    def config(self) -> Config:
        """The settings as a validated Config (raises ConfigError naming a bad field)."""
        key = self.dataset.currentData() or self._base.dataset
        return self._base.replace(
            dataset=key,
            data_path=self._base.data_path if key == self._base.dataset else None,
            augment=self.augment.currentData(),
            hidden=(self.hidden.value(),) * self.depth.value(),
            activation=self.activation.currentData(),
            optimizer=self.optimizer.currentData(),
            learning_rate=float(self.learning_rate.value()),
            batch_size=int(self.batch_size.value()),
            epochs=self.epochs.value(),
            seed=self.seed.value(),
        )

    def set_config(self, config: Config) -> None:
        """Show ``config`` in the widgets (no live changes are sent)."""
        self._base = config
        self.blockSignals(True)
        try:
            self.set_dataset(config.dataset)
            _select(self.augment, config.augment)
            width = config.hidden[0] if config.hidden else HIDDEN_MIN
            self.hidden.set_value(width, hidden_to_position(width))
            self.depth.setValue(min(max(len(config.hidden), 1), DEPTH_MAX))
            _select(self.activation, config.activation)
            self._optimizer_key = config.optimizer
            _select(self.optimizer, config.optimizer)
            self.learning_rate.set_value(config.learning_rate, lr_to_position(config.learning_rate))
            log2 = min(max(round(math.log2(config.batch_size)), BATCH_MIN_LOG2), BATCH_MAX_LOG2)
            self.batch_size.set_value(config.batch_size, log2)
            self.epochs.setValue(config.epochs)
            self.seed.setValue(config.seed)
        finally:
            self.blockSignals(False)
        self._applied = self.config()
        self._update_note()

    def set_dataset(self, name: str) -> None:
        """Select a dataset by key ("mnist", ...) or folder path (added to the list)."""
        i = self.dataset.findData(name)
        if i < 0:
            i = self.dataset.count() - 1
            self.dataset.insertItem(i, Path(name).name or name, name)
            self.dataset.setItemData(i, name, Qt.ItemDataRole.ToolTipRole)
        self.dataset.setCurrentIndex(i)

    def set_learning_rate(self, lr: float) -> None:
        """Set the rate exactly (the handle goes to the nearest mark); live if a run is on."""
        self.learning_rate.set_value(float(lr), lr_to_position(lr))

    def set_hidden(self, n: int) -> None:
        """Set the first hidden layer's width; live if a run is on."""
        self.hidden.set_value(int(n), hidden_to_position(n))

    def set_batch_size(self, n: int) -> None:
        """Set the batch size (a power of two between 8 and 1024); live if a run is on."""
        log2 = min(max(round(math.log2(n)), BATCH_MIN_LOG2), BATCH_MAX_LOG2)
        self.batch_size.set_value(2**log2, log2)

    # -- run state ------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Enable the buttons that make sense: idle, loading, running, paused or stopping."""
        self._state = state
        busy = state in ("running", "paused")
        self.start_button.setEnabled(state == "idle")
        self.pause_button.setEnabled(busy)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.step_button.setEnabled(state in ("idle", "running", "paused"))
        self.stop_button.setEnabled(state in ("loading", "running", "paused"))
        self.reset_button.setEnabled(state != "stopping")
        if state == "idle":
            self._applied = self.config() if self._valid() else self._applied
        self._update_note()

    @property
    def state(self) -> str:
        return self._state

    def _valid(self) -> bool:
        try:
            self.config()
        except ValueError:
            return False
        return True

    def _update_note(self, *_: object) -> None:
        waiting = []
        if self._state in ("running", "paused", "loading") and self._valid():
            now, then = self.config(), self._applied
            names = {
                "dataset": "dataset",
                "augment": "augmentation",
                "activation": "activation",
                "optimizer": "optimiser",
                "epochs": "epochs",
                "seed": "seed",
            }
            waiting = [
                label for name, label in names.items() if getattr(now, name) != getattr(then, name)
            ]
            if len(now.hidden) != len(then.hidden):
                waiting.append("layers")
        self.note.setText(
            f"Next run: new {', '.join(waiting)} (press Reset or Stop, then Start)."
            if waiting
            else ""
        )
        self.note.setVisible(bool(waiting))

    # -- reactions ------------------------------------------------------------
    def _live(self, name: str, value: object) -> None:
        if not self.signalsBlocked():
            self.live_changed.emit(name, value)

    def _on_optimizer_changed(self, _index: int) -> None:
        key = self.optimizer.currentData()
        old, self._optimizer_key = self._optimizer_key, key
        if self.signalsBlocked() or self._state != "idle":
            return
        if math.isclose(self.learning_rate.value(), OPTIMIZER_LR.get(old, -1.0), rel_tol=1e-3):
            self.set_learning_rate(OPTIMIZER_LR[key])

    def _on_dataset_activated(self, index: int) -> None:
        if self.dataset.itemData(index) != "":
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Folder of IDX files (train-images-idx3-ubyte and friends)"
        )
        if folder:
            self.set_dataset(folder)
            self.folder_chosen.emit(folder)
        else:
            self.set_dataset(self._applied.dataset)


def _select(combo: QComboBox, key: str) -> None:
    i = combo.findData(key)
    if i >= 0:
        combo.setCurrentIndex(i)
