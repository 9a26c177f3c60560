"""The control panel: what to train, how, and the buttons that run it.

The panel shows the session (:class:`~gui.shared.state.SessionView`) and sends
it what the person does; it keeps no settings of its own. Every change of a
widget becomes ``edited(name, value)``; the session puts it in the next run's
settings (the *draft*) and, for the three settings marked live (learning rate,
batch size, hidden size), also into the running network. Every other setting
says "applies on Reset" and, while a run goes on, a note under the buttons names
those that wait for the next run next to the value the run has now.

The buttons are enabled by the session's state; Pause reads Resume while the run
is held (after a pause, a Step or a divergence). Step trains one more epoch,
Step batch one more mini-batch; from a standstill either starts a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
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
from core.training.config import ACTIVATIONS, AUGMENTATIONS, OPTIMIZERS, SCHEDULES, Config
from gui.shared import style
from gui.shared.formats import format_lr
from gui.shared.state import RunState, SessionView, waiting_note

FOLDER_ITEM = "Folder…"

OPTIMIZER_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
ACTIVATION_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}
AUGMENT_NAMES = {"none": "None", "shift": "Shifts (±2 px)", "affine": "Affine + elastic"}
SCHEDULE_NAMES = {"constant": "Constant", "cosine": "Cosine decay", "step": "Steps (÷10)"}
#: Optimisers that use the momentum setting.
WITH_MOMENTUM = ("momentum", "nesterov")
ON_RESET = "Applies on Reset (to the next run)."

LR_MIN, LR_MAX, LR_STEPS_PER_DECADE = 1e-4, 1.0, 100
HIDDEN_MIN, HIDDEN_MAX, HIDDEN_STEPS = 16, 1024, 96
BATCH_MIN_LOG2, BATCH_MAX_LOG2 = 3, 10  # 8 .. 1024
DEPTH_MAX = 4


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


def batch_to_position(n: int) -> int:
    return min(max(round(math.log2(max(n, 1))), BATCH_MIN_LOG2), BATCH_MAX_LOG2)


class LiveSlider(QWidget):
    """A horizontal slider with its value shown beside it.

    The value is reported (``committed``) when the handle is released or moved by
    keyboard or wheel, not at every pixel of a drag: one change for the training
    loop per gesture. The label follows the handle while dragging.
    """

    committed = Signal(object)

    def __init__(
        self,
        lo: int,
        hi: int,
        to_value: Callable[[int], Any],
        to_text: Callable[[Any], str],
        parent: QWidget | None = None,
    ) -> None:
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

    def value(self) -> Any:
        return self._value

    def show_value(self, value: Any, position: int) -> None:
        """Display ``value`` exactly (the handle goes to the nearest position); not reported.

        A handle held by the person is left alone: their gesture is not over.
        """
        if self.slider.isSliderDown():
            return
        self._value = value
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self._show(value)

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.label.setToolTip(text)

    def _show_position(self, pos: int) -> None:
        self._show(self._to_value(pos))

    def _show(self, value: Any) -> None:
        self.label.setText(self._to_text(value))

    def _on_value_changed(self, pos: int) -> None:
        self._value = self._to_value(pos)
        self._show(self._value)
        self.committed.emit(self._value)


class ControlPanel(QWidget):
    """Settings of the next run, live sliders for the current one, and the run buttons."""

    edited = Signal(str, object)  # a setting's name (a Config field, or "depth") and value
    folder_chosen = Signal(str)  # a folder to load and, once loaded, train on
    start_clicked = Signal()
    pause_clicked = Signal()
    resume_clicked = Signal()
    step_clicked = Signal()
    step_batch_clicked = Signal()
    stop_clicked = Signal()
    reset_clicked = Signal()

    def __init__(self, view: SessionView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._showing = False
        self._view = view
        self._labels: dict[str, QLabel] = {}
        self._live_texts: list[tuple[QLabel, str]] = []  # labels with a live dot, "{dot}"
        self._build()
        self._show_dots(style.palette())
        style.on_change(self, self._show_dots)
        self.show_session(view)

    # -- construction ---------------------------------------------------------
    def _build(self) -> None:
        data, net, opt = self._data_group(), self._network_group(), self._training_group()
        legend = QLabel()
        self._live_texts.append(
            (legend, "{dot} live: changes the running network; the others apply on Reset")
        )
        legend.setObjectName("liveLegend")
        legend.setWordWrap(True)

        buttons = self._run_buttons()
        self.note = QLabel("")
        self.note.setObjectName("controlsNote")
        self.note.setWordWrap(True)
        self.note.setToolTip("Settings that wait for the next run, beside what the run has now")

        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addWidget(data)
        layout.addWidget(net)
        layout.addWidget(opt)
        layout.addWidget(legend)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        self._run_area = layout  # the window adds the progress display below the buttons

    def _data_group(self) -> QGroupBox:
        """The dataset and its augmentation."""
        self.dataset = QComboBox()
        for key, text in DATASETS.items():
            self.dataset.addItem(text, key)
        self.dataset.addItem(FOLDER_ITEM, "")
        self.dataset.setToolTip(
            "Images to train on. MNIST and Fashion-MNIST are found on disk or downloaded; "
            "the 8×8 digits are always available offline. Folder… (or a folder's path typed "
            "here, or a folder dropped on the window) reads your own pictures, one subfolder "
            "per class, or IDX files or CIFAR batches. " + ON_RESET
        )
        self.dataset.setEditable(True)
        self.dataset.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.dataset.lineEdit().setPlaceholderText("a dataset, or a folder's path")
        self.dataset.lineEdit().returnPressed.connect(self._on_dataset_typed)
        self.dataset.lineEdit().editingFinished.connect(self._show_chosen_dataset)
        self.dataset.currentIndexChanged.connect(self._on_dataset_index)
        self.dataset.activated.connect(self._on_dataset_activated)
        self.augment = self._combo(
            AUGMENTATIONS,
            AUGMENT_NAMES,
            "augment",
            "Random distortions of the training images each epoch: harder to memorise, "
            "better on new digits. " + ON_RESET,
        )

        data = QGroupBox("Data")
        f = self._form(data)
        self._row(f, "dataset", "Dataset", self.dataset)
        self._row(f, "augment", "Augment", self.augment)
        return data

    def _network_group(self) -> QGroupBox:
        """Width (live), depth, activation, dropout."""
        self.hidden = LiveSlider(0, HIDDEN_STEPS, position_to_hidden, str)
        self.hidden.setToolTip(
            "Units in each hidden layer (16 to 1024). Live: while training, the layers "
            "are resized at the next batch and keep what they learned."
        )
        self.hidden.committed.connect(lambda v: self._edit("hidden", int(v)))
        self.depth = self._spin(1, DEPTH_MAX, "depth", "Number of hidden layers. " + ON_RESET)
        self.activation = self._combo(
            ACTIVATIONS,
            ACTIVATION_NAMES,
            "activation",
            "Non-linearity of the hidden layers. " + ON_RESET,
        )
        self.dropout = self._fraction(
            0.0,
            0.9,
            0.05,
            2,
            "dropout",
            "Share of hidden units switched off at random in each training batch "
            "(inverted dropout): fights over-fitting. " + ON_RESET,
        )

        net = QGroupBox("Network")
        f = self._form(net)
        self._row(f, "hidden", "Hidden", self.hidden, live=True)
        self._row(f, "depth", "Layers", self.depth)
        self._row(f, "activation", "Activation", self.activation)
        self._row(f, "dropout", "Dropout", self.dropout)
        return net

    def _training_group(self) -> QGroupBox:
        """Optimiser, learning rate (live), schedule, momentum, L2, batch (live), epochs, seed."""
        self.optimizer = self._combo(
            OPTIMIZERS,
            OPTIMIZER_NAMES,
            "optimizer",
            "How gradients turn into weight updates. Choosing one before a run also "
            "proposes a learning rate that suits it. " + ON_RESET,
        )
        lr_positions = round(math.log10(LR_MAX / LR_MIN) * LR_STEPS_PER_DECADE)
        self.learning_rate = LiveSlider(0, lr_positions, position_to_lr, format_lr)
        self.learning_rate.setToolTip(
            "Step size of gradient descent, on a log scale from 0.0001 to 1. Live: takes "
            "effect from the next batch."
        )
        self.learning_rate.committed.connect(lambda v: self._edit("learning_rate", float(v)))
        self.schedule = self._combo(
            SCHEDULES,
            SCHEDULE_NAMES,
            "schedule",
            "How the learning rate changes over the epochs: constant, a cosine decay "
            "to 1% of it, or a tenth at half the run and a hundredth at three quarters. "
            + ON_RESET,
        )
        self.momentum = self._fraction(
            0.0,
            0.99,
            0.05,
            2,
            "momentum",
            "How much of the previous update each step keeps (Momentum and Nesterov "
            "only). " + ON_RESET,
        )
        self.l2 = self._fraction(
            0.0,
            0.01,
            0.0001,
            4,
            "l2",
            "Weight decay: a penalty on large weights added to the loss. " + ON_RESET,
        )
        self.batch_size = LiveSlider(BATCH_MIN_LOG2, BATCH_MAX_LOG2, lambda p: 2**p, str)
        self.batch_size.slider.setPageStep(1)
        self.batch_size.setToolTip(
            "Images per gradient step (8 to 1024). Live: takes effect from the next batch."
        )
        self.batch_size.committed.connect(lambda v: self._edit("batch_size", int(v)))
        self.epochs = self._spin(
            1,
            10_000,
            "epochs",
            "Epochs to train in all (passes over the training set). " + ON_RESET,
        )
        self.seed = self._spin(
            0,
            2**31 - 1,
            "seed",
            "Random seed of the initial weights, the validation split and the shuffling: "
            "the same seed repeats the same run. " + ON_RESET,
        )

        opt = QGroupBox("Training")
        f = self._form(opt)
        self._row(f, "optimizer", "Optimiser", self.optimizer)
        self._row(f, "learning_rate", "Learn rate", self.learning_rate, live=True)
        self._row(f, "schedule", "Schedule", self.schedule)
        self._row(f, "momentum", "Momentum", self.momentum)
        self._row(f, "l2", "L2", self.l2)
        self._row(f, "batch_size", "Batch", self.batch_size, live=True)
        self._row(f, "epochs", "Epochs", self.epochs)
        self._row(f, "seed", "Seed", self.seed)
        return opt

    def _run_buttons(self) -> QGridLayout:
        """Start, Pause, Step epoch, Step batch, Stop, Reset."""
        self.start_button = self._button("Start", "Start a new run (Space)", self.start_clicked)
        self.pause_button = self._button("Pause", "Pause or resume the run (Space)", None)
        self.pause_button.clicked.connect(self._on_pause_button)
        self.step_button = self._button(
            "Step epoch", "Train exactly one more epoch, then pause (S)", self.step_clicked
        )
        self.step_batch_button = self._button(
            "Step batch",
            "Train exactly one more mini-batch, then pause (B)",
            self.step_batch_clicked,
        )
        self.stop_button = self._button(
            "Stop", "End the run after the current batch; its network stays", self.stop_clicked
        )
        self.reset_button = self._button(
            "Reset",
            "End the run, forget its network (asks first if it is not saved) and "
            "apply every setting (R)",
            self.reset_clicked,
        )
        self.start_button.setObjectName("startButton")
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.step_batch_button, 1, 1)
        buttons.addWidget(self.stop_button, 2, 0)
        buttons.addWidget(self.reset_button, 2, 1)

        return buttons

    def _show_dots(self, p: style.Palette) -> None:
        """The live settings' dots, in the palette's green."""
        dot = f"<span style='color:{p.good.name()}'>●</span>"
        for label, text in self._live_texts:
            label.setText(text.format(dot=dot))

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        f = QFormLayout(box)
        f.setContentsMargins(6, 4, 6, 4)
        f.setVerticalSpacing(3)
        return f

    def _row(self, form: QFormLayout, name: str, text: str, field: QWidget, live: bool = False):
        label = QLabel(text)
        if live:
            self._live_texts.append((label, text + " {dot}"))
        label.setToolTip(
            "Live: changes take effect while training runs" if live else field.toolTip()
        )
        self._labels[name] = label
        form.addRow(label, field)

    def _combo(
        self, keys: tuple[str, ...], names: dict[str, str], setting: str, tip: str
    ) -> QComboBox:
        combo = QComboBox()
        for key in keys:
            combo.addItem(names.get(key, key), key)
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(lambda _i: self._edit(setting, combo.currentData()))
        return combo

    def _spin(self, lo: int, hi: int, setting: str, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda v: self._edit(setting, int(v)))
        return spin

    def _fraction(
        self, lo: float, hi: float, step: float, decimals: int, setting: str, tip: str
    ) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(step)
        spin.setDecimals(decimals)
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda v: self._edit(setting, float(v)))
        return spin

    def _button(self, text: str, tip: str, signal: Any) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # keep Space for the window's shortcut
        if signal is not None:
            b.clicked.connect(signal)
        return b

    def add_run_widget(self, widget: QWidget) -> None:
        """Place ``widget`` (the progress display) under the buttons."""
        self._run_area.insertWidget(self._run_area.count() - 1, widget)
        self._run_area.addStretch(1)

    # -- what the person does ---------------------------------------------------
    def _edit(self, name: str, value: Any) -> None:
        if not self._showing:
            self.edited.emit(name, value)

    def set_dataset(self, name: str) -> None:
        """Choose a dataset by key ("mnist", ...) or folder path, as a person would."""
        self._select_dataset(name)  # the list's change is the edit

    def set_learning_rate(self, lr: float) -> None:
        """Set the rate exactly, as a person would (live while a run goes on)."""
        self.learning_rate.show_value(float(lr), lr_to_position(lr))
        self._edit("learning_rate", float(lr))

    def set_hidden(self, n: int) -> None:
        """Set the hidden layers' width, as a person would (live while a run goes on)."""
        self.hidden.show_value(int(n), hidden_to_position(n))
        self._edit("hidden", int(n))

    def set_batch_size(self, n: int) -> None:
        """Set the batch size (a power of two, 8 to 1024), as a person would."""
        log2 = batch_to_position(n)
        self.batch_size.show_value(2**log2, log2)
        self._edit("batch_size", 2**log2)

    def _on_pause_button(self) -> None:
        if self._view.state in (RunState.PAUSED, RunState.DIVERGED):
            self.resume_clicked.emit()
        else:
            self.pause_clicked.emit()

    def _on_dataset_index(self, index: int) -> None:
        key = self.dataset.itemData(index)
        if key:  # "" is the Folder… entry: its folder comes back as a choice of its own
            self._edit("dataset", key)

    def _on_dataset_activated(self, index: int) -> None:
        if self.dataset.itemData(index) != "":
            return
        folder = QFileDialog.getExistingDirectory(
            self, "A folder of pictures in one subfolder per class (or of IDX files)"
        )
        self._select_dataset(self._view.draft.dataset)  # until the folder has loaded
        if folder:
            self.folder_chosen.emit(folder)

    def _on_dataset_typed(self) -> None:
        """Enter in the box: a known dataset's name chooses it, anything else is a folder."""
        typed = self.dataset.lineEdit().text().strip()
        if not typed or typed == self.dataset.itemText(self.dataset.currentIndex()):
            return
        for i in range(self.dataset.count() - 1):  # the last one is Folder…
            if typed.lower() == self.dataset.itemText(i).lower() or typed == self.dataset.itemData(
                i
            ):
                self.dataset.setCurrentIndex(i)
                self._show_chosen_dataset()
                return
        self._show_chosen_dataset()  # the draft's, until the folder has loaded
        self.folder_chosen.emit(typed)

    def _show_chosen_dataset(self) -> None:
        """The box shows the chosen dataset's name again (not a half-typed path)."""
        name = self.dataset.itemText(self.dataset.currentIndex())
        if self.dataset.currentText() != name:
            self.dataset.setEditText(name)

    # -- what the session says ----------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        """Show ``view``: the draft in the widgets, the buttons its state allows, the note."""
        self._view = view
        self._showing = True
        try:
            self._show_config(view.draft)
        finally:
            self._showing = False
        st = view.state
        held = st in (RunState.PAUSED, RunState.DIVERGED)
        # While the next run's data loads ahead, Start waits for it (the session says so).
        preloading = st is RunState.LOADING and view.settings is None
        self.start_button.setEnabled(st.startable or preloading)
        self.start_button.setText("Continue" if st is RunState.LOADED else "Start")
        self.start_button.setToolTip(
            f"Go on training {view.opened} from where it was saved (Space)"
            if st is RunState.LOADED
            else "Start a new run with these settings (Space)"
        )
        self.pause_button.setEnabled(st in (RunState.TRAINING, RunState.STEPPING) or held)
        self.pause_button.setText("Resume" if held else "Pause")
        steps = st.live or st.startable or preloading
        self.step_button.setEnabled(steps)
        self.step_batch_button.setEnabled(steps)
        self.stop_button.setEnabled(
            st.live or (st is RunState.LOADING and view.settings is not None)
        )
        self.reset_button.setEnabled(st is not RunState.IDLE or view.settings is not None)
        self.momentum.setEnabled(view.draft.optimizer in WITH_MOMENTUM)
        for name, label in self._labels.items():
            font = label.font()
            font.setItalic(name in view.waiting)
            label.setFont(font)
        note = waiting_note(view)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def _show_config(self, c: Config) -> None:
        self._select_dataset(c.dataset)
        _select(self.augment, c.augment)
        width = c.hidden[0] if c.hidden else HIDDEN_MIN
        if self.hidden.value() != width:
            self.hidden.show_value(width, hidden_to_position(width))
        _set(self.depth, min(max(c.depth, 1), DEPTH_MAX))
        _select(self.activation, c.activation)
        _set(self.dropout, c.dropout)
        _select(self.optimizer, c.optimizer)
        if self.learning_rate.value() != c.learning_rate:
            self.learning_rate.show_value(c.learning_rate, lr_to_position(c.learning_rate))
        _select(self.schedule, c.schedule)
        _set(self.momentum, c.momentum)
        _set(self.l2, c.l2)
        if self.batch_size.value() != c.batch_size:
            self.batch_size.show_value(c.batch_size, batch_to_position(c.batch_size))
        _set(self.epochs, c.epochs)
        _set(self.seed, min(c.seed, self.seed.maximum()))

    def _select_dataset(self, name: str) -> None:
        i = self.dataset.findData(name)
        if i < 0:
            i = self.dataset.count() - 1
            self.dataset.insertItem(i, Path(name).name or name, name)
            self.dataset.setItemData(i, name, Qt.ItemDataRole.ToolTipRole)
        if self.dataset.currentIndex() != i:
            self.dataset.setCurrentIndex(i)


def _select(combo: QComboBox, key: str) -> None:
    i = combo.findData(key)
    if i >= 0 and combo.currentIndex() != i:
        combo.setCurrentIndex(i)


def _set(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
    if spin.value() != value:
        spin.setValue(value)
