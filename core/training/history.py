"""A run's history as a CSV file: one row per epoch, for spreadsheets and plots.

The rows are the Trainer's ``history`` dicts; the architecture is written as
``784-128-10``. The file is written to a temporary name and renamed, so a reader
never sees half of it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

from core.errors import CheckpointError
from core.guard.files import write_atomic
from core.text import sizes


class HistoryRow(TypedDict):
    """One epoch of a run, as the Trainer records it and a checkpoint stores it."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    learning_rate: float
    batch_size: int
    architecture: list[int]
    seconds: float
    samples_per_s: float
    step: int


#: The CSV's columns: a history row's fields, in order.
COLUMNS = tuple(HistoryRow.__annotations__)


def write_history_csv(path: str | os.PathLike, history: Sequence[HistoryRow]) -> Path:
    """Write ``history`` to ``path`` (columns :data:`COLUMNS`); returns the path."""
    path = Path(path)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in history:
        cells = dict(row)
        cells["architecture"] = sizes(row.get("architecture", ()))
        writer.writerow(cells)
    data = text.getvalue().encode("utf-8")
    try:
        return write_atomic(path, lambda f: f.write(data))
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the history: {exc.strerror or exc}") from None
