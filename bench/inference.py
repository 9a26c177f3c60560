"""Inference and per-epoch extras: scoring throughput, the validation pass, the snapshot.

What a person waits for besides the batches: ``predict_proba`` over the 10,000 test
images (the command line's final report, a checkpoint's evaluation), and the two
things the Trainer does after every epoch, the validation pass and the
``Snapshot`` the views draw (a second forward pass over the validation set,
confusion matrix, ranked mistakes, copies of the weights).
"""

from __future__ import annotations

from typing import Any

from bench.context import Context
from bench.registry import section
from bench.timing import interleaved, median

HIDDEN = (128, 1024)


@section("inference", "Inference and per-epoch extras: test scoring, validation pass, snapshot")
def run(ctx: Context) -> dict[str, Any]:
    from core.config import Config
    from core.trainer import Trainer

    ds = ctx.dataset()
    rows = []
    for hidden in HIDDEN[:1] if ctx.quick else HIDDEN:
        ctx.log(f"inference: hidden {hidden}")
        config = Config(dataset=ds.name, hidden=(hidden,), epochs=1)
        trainer = Trainer(config, ds)
        model = trainer.model
        times = interleaved({
            "predict_test": lambda m=model: m.predict_proba(ds.X_test),
            "validation_pass": lambda m=model: m.evaluate(ds.X_val, ds.y_val),
            "snapshot": lambda t=trainer: t.snapshot(0),
        }, ctx.reps)
        seconds = {k: median(v) for k, v in times.items()}
        rows.append({
            "hidden": hidden,
            "seconds": seconds,
            "predict_samples_per_s": len(ds.y_test) / seconds["predict_test"],
            "n_features": ds.n_features,
            "n_test": len(ds.y_test),
            "n_val": len(ds.y_val),
        })
    return {"rows": rows}
