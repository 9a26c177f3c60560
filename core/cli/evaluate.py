"""``python main.py evaluate CHECKPOINT``: a saved model's report on its test set."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from core.cli.common import load_data
from core.guard.paths import expand
from core.text import sizes
from core.training import checkpoint as ckpt

if TYPE_CHECKING:
    from core.data import Dataset
    from core.nn.model import MLP
    from core.training.robustness import Evaluation

#: Confidence thresholds of the coverage table (answer only when at least this sure).
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)


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
    arch = sizes(saved.model.sizes)
    print(
        f"Checkpoint: {args.checkpoint} ({arch} {saved.model.activation}, "
        f"{saved.epoch} epoch(s) on {saved.config.dataset})"
    )
    if saved.history:
        print(_last_epoch_line(saved.history[-1]))
    report(saved.model, dataset, sys.stdout)
    if args.robustness:
        robustness_report(_evaluate_with_progress(saved.model, dataset), sys.stdout)
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


def _evaluate_with_progress(model: MLP, dataset: Dataset) -> Evaluation:
    """The test-set evaluation (seed 0), with a progress bar on stderr when it is a terminal."""
    from tqdm import tqdm

    from core.training.robustness import evaluate_test_set

    with tqdm(unit="chunk", leave=False, file=sys.stderr, disable=None) as bar:

        def progress(what: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_description(what, refresh=False)
            bar.update(done - bar.n)

        return evaluate_test_set(model, dataset, seed=0, progress=progress)


def robustness_report(ev: Evaluation, out: TextIO) -> None:
    """Print each perturbation's accuracy curve and the coverage table."""
    lines = [f"=== ROBUSTNESS ({ev.n:,} test images, seed {ev.seed}) ==="]
    for c in ev.curves:
        lines.append(f"{c.label} ({c.unit}):")
        lines.append("  strength " + "".join(f"{s:>8.4g}" for s in c.strengths))
        lines.append("  accuracy " + "".join(f"{a:>8.4f}" for a in c.accuracy))
    lines.append("Answer only when the top probability reaches a threshold:")
    at = [ev.coverage.at(t) for t in THRESHOLDS]
    lines.append("  threshold" + "".join(f"{t:>8g}" for t in THRESHOLDS))
    lines.append("  answered " + "".join(f"{share:>8.4f}" for share, _ in at))
    lines.append("  accuracy " + "".join(f"{acc:>8.4f}" for _, acc in at))
    print("\n".join(lines), file=out, flush=True)
