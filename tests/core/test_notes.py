"""Notes on a run's curves: best epoch, overfitting, a loss that went up, dead units."""

from __future__ import annotations

import math

from core.training.notes import notable


def rows(train_loss, val_loss, val_acc=None):
    val_acc = val_acc or [0.5 + 0.01 * e for e in range(len(train_loss))]
    return [
        {"epoch": e, "train_loss": t, "val_loss": v, "val_acc": a}
        for e, (t, v, a) in enumerate(zip(train_loss, val_loss, val_acc, strict=True))
    ]


def kinds(notes):
    return {n.kind: n.epoch for n in notes}


def test_the_best_epoch_is_the_first_to_reach_the_best_accuracy():
    history = rows([1, 0.8, 0.7, 0.6], [1, 0.9, 0.8, 0.85], [0.8, 0.9, 0.95, 0.95])
    notes = notable(history)
    assert kinds(notes)["best"] == 2
    assert "95.00%" in next(n.text for n in notes if n.kind == "best")


def test_overfitting_is_marked_where_the_validation_loss_was_lowest():
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1]
    val = [1.0, 0.7, 0.5, 0.52, 0.56, 0.6, 0.65]
    assert kinds(notable(rows(train, val)))["overfitting"] == 2


def test_no_overfitting_while_the_validation_loss_still_falls_or_only_wobbles():
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1]
    assert "overfitting" not in kinds(notable(rows(train, [1, 0.7, 0.5, 0.45, 0.4, 0.38, 0.37])))
    wobble = [1, 0.7, 0.5, 0.51, 0.49, 0.5, 0.505]  # back below its old low: not yet
    assert "overfitting" not in kinds(notable(rows(train, wobble)))
    too_soon = [1, 0.7, 0.5, 0.6, 0.7]  # two epochs of rise are not enough
    assert "overfitting" not in kinds(notable(rows(train[:5], too_soon)))


def test_a_training_loss_that_goes_up_points_at_the_learning_rate():
    history = rows([1.0, 0.7, 0.9, 0.6], [1.0, 0.8, 0.9, 0.7])
    note = next(n for n in notable(history) if n.kind == "lr_too_high")
    assert note.epoch == 2 and "learning rate" in note.text


def test_most_units_dead_is_noted_at_the_first_epoch_it_happens():
    history = rows([1.0, 0.8, 0.7], [1.0, 0.9, 0.8])
    notes = notable(history, dead_fraction={0: [0.1, 0.0], 1: [0.2, 0.6], 2: [0.7, 0.6]})
    note = next(n for n in notes if n.kind == "dead_units")
    assert note.epoch == 1 and note.text.startswith("60% of hidden layer 2")


def test_missing_or_non_finite_figures_give_no_note_rather_than_an_error():
    assert notable([]) == []
    assert notable([{"epoch": 0}]) == []
    history = rows([1.0, math.nan, 0.5, 0.4, 0.3], [1.0, math.nan, 0.9, 0.95, 1.0])
    assert "overfitting" not in kinds(notable(history))
    assert kinds(notable([{"val_acc": "junk"}, {"val_acc": None}])) == {}
