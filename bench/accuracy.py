"""Time to accuracy on real MNIST: how long the presets take to get somewhere.

- ``fast``: seconds of training until the test accuracy first reaches 97%.
- ``best`` (augmented): the test accuracy reached within a 10-minute training budget.

The Trainer is consumed in this thread, as the command line does. After every
epoch the test set is scored (that scoring is not counted as training time). The
clock counts everything the Trainer does: batches, augmentation, the validation
pass and the per-epoch snapshot. Optional (``--only accuracy``): it takes up to
about twelve minutes.
"""

from __future__ import annotations

import time
from typing import Any

from bench.context import Context, Skip
from bench.registry import section

TARGET_ACC = 0.97
BUDGET_S = 600.0


def train_and_score(config, dataset, budget_s: float, stop_at: float | None, log) -> dict[str, Any]:
    """Train ``config``, scoring the test set after each epoch, within ``budget_s`` seconds.

    Stops early once the test accuracy reaches ``stop_at`` (when given).
    """
    from core.training.control import TrainingControl
    from core.training.events import EpochReport, Finished
    from core.training.trainer import Trainer

    control = TrainingControl()
    trainer = Trainer(config, dataset, control)
    events = trainer.run()
    trained, epochs, reached_s = 0.0, [], None
    finished = None
    while True:
        t0 = time.perf_counter()
        ev = next(events, None)
        trained += time.perf_counter() - t0
        if ev is None:
            break
        if isinstance(ev, Finished):
            finished = ev
        if not isinstance(ev, EpochReport):
            continue
        _, test_acc = trainer.model.evaluate(dataset.X_test, dataset.y_test)
        epochs.append(
            {
                "epoch": ev.epoch,
                "train_s": round(trained, 2),
                "val_acc": ev.val_acc,
                "test_acc": test_acc,
            }
        )
        log(
            f"accuracy: {config.hidden} epoch {ev.epoch}: test {test_acc:.4f} after {trained:.1f} s"
        )
        if reached_s is None and stop_at is not None and test_acc >= stop_at:
            reached_s = trained
            control.stop()
        elif trained >= budget_s:
            control.stop()
    in_budget = [r for r in epochs if r["train_s"] <= budget_s] or epochs[:1]
    best = max(in_budget, key=lambda r: r["test_acc"]) if in_budget else None
    return {
        "config": config.to_dict(),
        "epochs_trained": len(epochs),
        "epochs_planned": config.epochs,
        "completed": finished is not None and finished.reason == "completed",
        "train_s": round(trained, 2),
        "final_test_acc": epochs[-1]["test_acc"] if epochs else None,
        "best_test_acc": best["test_acc"] if best else None,
        "best_epoch": best["epoch"] if best else None,
        "reached_s": reached_s,
        "history": epochs,
    }


@section(
    "accuracy", "Time to accuracy: fast preset to 97%, best preset in 10 minutes", default=False
)
def run(ctx: Context) -> dict[str, Any]:
    try:
        from core.training.presets import preset_config
    except ImportError:
        raise Skip("core.training.presets is not available") from None
    dataset = ctx.dataset()
    path = str(ctx.mnist_dir()) if ctx.dataset_name == "mnist" else None
    budget = 60.0 if ctx.quick else BUDGET_S
    fast_cfg = preset_config("fast", dataset=ctx.dataset_name, data_path=path)
    best_cfg = preset_config("best", dataset=ctx.dataset_name, data_path=path)
    if ctx.quick:
        best_cfg = best_cfg.replace(epochs=1)
    ctx.log("accuracy: preset fast")
    fast = train_and_score(fast_cfg, dataset, budget, TARGET_ACC, ctx.log)
    ctx.log("accuracy: preset best")
    best = train_and_score(best_cfg, dataset, budget, None, ctx.log)
    return {
        "target_acc": TARGET_ACC,
        "budget_s": budget,
        "fast": fast,
        "best": best,
        "fast_seconds_to_target": fast["reached_s"],
        "best_test_acc_in_budget": best["best_test_acc"],
        "best_final_test_acc": best["final_test_acc"],
    }
