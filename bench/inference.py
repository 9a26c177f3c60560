"""Inference and per-epoch extras: scoring throughput, the validation pass, the snapshot.

What a person waits for besides the batches: ``predict_proba`` over the 10,000 test
images (the command line's final report, a checkpoint's evaluation), and the two
things the Trainer does after every epoch, the validation pass and the
``Snapshot`` the views draw (a second forward pass over the validation set,
confusion matrix, ranked mistakes, copies of the weights, the health figures).
Also the cost of one epoch of training-time augmentation at batch 128 (the
``best`` preset trains on "affine" digits), which comes on top of the batches.
"""

from __future__ import annotations

from typing import Any

from bench.context import Context
from bench.registry import section
from bench.timing import interleaved, median

HIDDEN = (128, 1024)


@section("inference", "Inference and per-epoch extras: test scoring, validation pass, snapshot")
def run(ctx: Context) -> dict[str, Any]:
    from core.training.config import Config
    from core.training.trainer import Trainer

    ds = ctx.dataset()
    rows = []
    for hidden in HIDDEN[:1] if ctx.quick else HIDDEN:
        ctx.log(f"inference: hidden {hidden}")
        config = Config(dataset=ds.name, hidden=(hidden,), epochs=1)
        trainer = Trainer(config, ds)
        model = trainer.model
        times = interleaved(
            {
                "predict_test": lambda m=model: m.predict_proba(ds.X_test),
                "validation_pass": lambda m=model: m.evaluate(ds.X_val, ds.y_val),
                "snapshot": lambda t=trainer: t.snapshot(0),
            },
            ctx.reps,
        )
        seconds = {k: median(v) for k, v in times.items()}
        rows.append(
            {
                "hidden": hidden,
                "seconds": seconds,
                "predict_samples_per_s": len(ds.y_test) / seconds["predict_test"],
                "n_features": ds.n_features,
                "n_test": len(ds.y_test),
                "n_val": len(ds.y_val),
            }
        )
    return {"rows": rows, "augment": augmentation_costs(ctx, ds)}


def augmentation_costs(ctx: Context, ds, batch: int = 128) -> dict[str, Any]:
    """Seconds to augment one epoch of ``ds.X_train`` batch by batch, per kind."""
    import numpy as np

    from core.training.augment import augment_batch

    X = ds.X_train[: 5 * batch] if ctx.quick else ds.X_train
    buf = np.empty((batch, X.shape[1]), X.dtype)
    rng = np.random.default_rng(0)

    def epoch(kind: str) -> None:
        for start in range(0, X.shape[0], batch):
            xb = X[start : start + batch]
            augment_batch(xb, ds.image_shape, kind, rng, out=buf[: xb.shape[0]])

    times = interleaved(
        {kind: lambda k=kind: epoch(k) for kind in ("shift", "affine")},
        max(1, ctx.reps // 2),
        warmup=0,
    )
    return {
        "batch": batch,
        "n": int(X.shape[0]),
        "seconds": {k: median(v) for k, v in times.items()},
    }
