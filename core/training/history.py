"""A run's history as a CSV file: one row per epoch, for spreadsheets and plots.

The rows are the Trainer's ``history`` dicts; the architecture is written as
``784-128-10``. The file is written to a temporary name and renamed, so a reader
never sees half of it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import CheckpointError

COLUMNS = (
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "learning_rate",
    "batch_size",
    "architecture",
    "seconds",
    "samples_per_s",
    "step",
)


def write_history_csv(path: str | os.PathLike, history: Sequence[dict[str, Any]]) -> Path:
    """Write ``history`` to ``path`` (columns :data:`COLUMNS`); returns the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row in history:
                row = dict(row)
                row["architecture"] = "-".join(map(str, row.get("architecture", ())))
                writer.writerow(row)
        tmp.replace(path)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the history: {exc.strerror or exc}") from None
    return path
