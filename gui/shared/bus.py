"""The core's events as Qt signals: what every view subscribes to.

The worker thread emits these; Qt queues them to the GUI thread because the bus
lives there. Each signal carries one of ``core.training.events``' frozen values (or a plain
message), so a view never sees the model's live arrays.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class EventBus(QObject):
    """One signal per kind of core event, plus ``error`` for messages to show a person."""

    started = Signal(object)  # core.training.events.Started
    batch = Signal(object)  # core.training.events.BatchProgress (throttled by the worker)
    epoch = Signal(object)  # core.training.events.EpochReport
    changed = Signal(object)  # core.training.events.HyperparameterChanged
    snapshot = Signal(object)  # core.training.events.Snapshot
    diverged = Signal(object)  # core.training.events.Diverged
    paused = Signal(object)  # core.training.events.Paused
    resumed = Signal(object)  # core.training.events.Resumed
    finished = Signal(object)  # core.training.events.Finished
    error = Signal(str)  # a message for a person (dataset missing, bad file, ...)
    run_reset = Signal()  # a new run begins: views keep the old one faded or clear
    #: The run stands still (paused, diverged, finished, opened from a file): views draw
    #: the latest picture now rather than on their next tick, so all show the same epoch.
    settled = Signal()
