"""``python main.py evaluate CHECKPOINT``: a saved model's report on its test set."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from core.cli.common import load_data
from core.guard.paths import expand
from core.training import checkpoint as ckpt

if TYPE_CHECKING:
    from core.data import Dataset
    from core.nn.model import MLP


def evaluate_command(args: argparse.Namespace) -> int:
    """``evaluate CHECKPOINT``: the final report of a saved model on its test set."""
    saved = ckpt.load(expand(args.checkpoint, "CHECKPOINT"))
    config = saved.config
    if args.dataset:
        config = config.replace(dataset=args.dataset)
    if args.data_path:
        config = config.replace(data_path=args.data_path)
    dataset = load_data(config)
    saved.check_fits(dataset, args.checkpoint)
    arch = "-".join(map(str, saved.model.sizes))
    print(
        f"Checkpoint: {args.checkpoint} ({arch} {saved.model.activation}, "
        f"{saved.epoch} epoch(s) on {saved.config.dataset})"
    )
    if saved.history:
        print(_last_epoch_line(saved.history[-1]))
    report(saved.model, dataset, sys.stdout)
    return 0


def _last_epoch_line(row: dict[str, Any]) -> str:
    """The saved run's last validation figures; a record may lack some (a hand-made file)."""
    figures = [
        f"{label}: {row[key]:.4f}"
        for key, label in (("val_loss", "Val Loss"), ("val_acc", "Val Acc"))
        if isinstance(row.get(key), (int, float))
    ]
    return f"Last epoch: {', '.join(figures) if figures else 'no validation figures'}"


def report(model: MLP, dataset: Dataset, out: TextIO) -> dict[str, np.ndarray]:
    """Print the final report on the test set; returns probabilities and predictions."""
    from core.training.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy

    probs = model.predict_proba(dataset.X_test)
    pred = probs.argmax(axis=1)
    loss, acc = model.evaluate(dataset.X_test, dataset.y_test)
    cm = confusion_matrix(dataset.y_test, pred, dataset.n_classes)
    names = dataset.class_names
    width = max(len(n) for n in names)
    lines = [
        "=== FINAL RESULTS ===",
        f"Test Accuracy: {acc:.4f} ({acc * 100:.2f}%)",
        f"Test Loss: {loss:.4f}",
        "Per-class accuracy:",
    ]
    for name, a, count in zip(names, per_class_accuracy(cm), cm.sum(axis=1), strict=True):
        lines.append(f"  {name:>{width}}: {a:.4f}  ({count} images)")
    pairs = most_confused_pairs(cm, 5)
    lines.append("Most confused (true -> predicted):" if pairs else "No confusions.")
    lines += [f"  {names[t]} -> {names[p]}: {n}" for t, p, n in pairs]
    print("\n".join(lines), file=out, flush=True)
    return {"probs": probs, "pred": pred}
