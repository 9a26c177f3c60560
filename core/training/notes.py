"""What a teacher would point out on a run's curves, found in its history.

Given the per-epoch rows a run has so far (and, when known, the share of dead
units per epoch), :func:`notable` returns a few :class:`Note` values: the epoch
with the best validation accuracy, the epoch after which the validation loss
only rose while the training loss kept falling (overfitting), an epoch whose
training loss went up (a learning rate too high), and the first epoch where most
of a hidden layer's units never fire. The window marks them on the curves with
their one-line text; each is recomputed as the run goes on, so a note moves or
disappears when later epochs change the picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

NoteKind = Literal["best", "overfitting", "lr_too_high", "dead_units"]

#: Epochs the validation loss must have risen on before overfitting is called.
OVERFIT_PATIENCE = 3
#: How much above its minimum the validation loss must end (relative) to count as risen.
OVERFIT_RISE = 0.02
#: A training loss this much higher than the epoch before says the steps are too big.
LOSS_JUMP = 0.05
#: Share of a layer's units that never fire before it is worth a note.
DEAD_SHARE = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Something worth pointing at: at ``epoch`` (0-based), of ``kind``, saying ``text``."""

    epoch: int
    kind: NoteKind
    text: str


def notable(
    history: Sequence[Mapping[str, Any]],
    dead_fraction: Mapping[int, Sequence[float]] | None = None,
) -> list[Note]:
    """The notes for a run's ``history`` rows; ``dead_fraction`` maps epoch -> per layer."""
    notes = [
        note
        for note in (
            _best(history),
            _overfitting(history),
            _loss_went_up(history),
            _dead_units(dead_fraction or {}),
        )
        if note is not None
    ]
    return sorted(notes, key=lambda n: n.epoch)


def _column(history: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    out = []
    for row in history:
        value = row.get(key)
        out.append(float(value) if isinstance(value, (int, float)) else math.nan)
    return out


def _best(history: Sequence[Mapping[str, Any]]) -> Note | None:
    acc = _column(history, "val_acc")
    finite = [(a, e) for e, a in enumerate(acc) if math.isfinite(a)]
    if len(finite) < 2:
        return None
    best, epoch = max(finite, key=lambda t: (t[0], -t[1]))  # the first epoch to reach it
    return Note(epoch=epoch, kind="best", text=f"best validation accuracy: {100 * best:.2f}%")


def _overfitting(history: Sequence[Mapping[str, Any]]) -> Note | None:
    """The epoch of the lowest validation loss, once it has only risen for a while since."""
    val, train = _column(history, "val_loss"), _column(history, "train_loss")
    if len(val) < OVERFIT_PATIENCE + 2 or not all(math.isfinite(v) for v in val):
        return None
    low = min(range(len(val)), key=val.__getitem__)
    after = val[low + 1 :]
    if len(after) < OVERFIT_PATIENCE:
        return None
    risen = all(v > val[low] for v in after) and after[-1] > val[low] * (1 + OVERFIT_RISE)
    still_learning = math.isfinite(train[-1]) and train[-1] < train[low]
    if not (risen and still_learning):
        return None
    return Note(
        epoch=low,
        kind="overfitting",
        text="overfitting starts: validation loss rises while training loss falls",
    )


def _loss_went_up(history: Sequence[Mapping[str, Any]]) -> Note | None:
    train = _column(history, "train_loss")
    for e in range(1, len(train)):
        before, now = train[e - 1], train[e]
        if math.isfinite(before) and math.isfinite(now) and now > before * (1 + LOSS_JUMP):
            return Note(
                epoch=e,
                kind="lr_too_high",
                text="training loss went up: the learning rate may be too high",
            )
    return None


def _dead_units(dead_fraction: Mapping[int, Sequence[float]]) -> Note | None:
    for epoch in sorted(dead_fraction):
        for layer, share in enumerate(dead_fraction[epoch]):
            if share >= DEAD_SHARE:
                return Note(
                    epoch=epoch,
                    kind="dead_units",
                    text=f"{100 * share:.0f}% of hidden layer {layer + 1}'s units never fire",
                )
    return None
