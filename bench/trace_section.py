"""Backprop, one example at a time: the cost of a trace and of one step on one digit.

The Inside view traces one digit through the latest snapshot in a worker thread,
again on every new snapshot and every digit picked, so a trace has to be short
next to the window's pacing (the target: 50 ms at 784-1024-1024-10). Per network,
in float32 as the app trains, on a real validation image:

- trace: ``core.trace`` (forward, backward, read-only copies of every quantity and
  of the parameters);
- own gradients: ``MLP.loss_and_grads`` on the same image as a batch of one, the
  engine's arithmetic without the copies, for scale;
- apply: ``Trace.apply``, the model copy after one SGD step;
- learn + validation: ``Trace.learn`` with the validation set, what "Learn from
  this digit" costs (the step, a second trace, both models scored on the set);
- trace while training: the same trace while another thread trains a network of
  the same shape at batch 128, as when the window traces a running session (both
  share the two cores and NumPy's BLAS threads).

Untrained models: the cost does not depend on what the weights have learned.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.context import Context
from bench.registry import section
from bench.timing import interleaved, median

HIDDEN = ((128,), (1024, 1024))
#: Timed rounds per ``--reps``: ten of each millisecond-scale call, two of ``learn``
#: (whose median swings with whatever else the machine is doing).
FAST_ROUNDS = 10
LEARN_ROUNDS = 2


@section("trace", "Backprop, one example at a time: trace, step and score")
def run(ctx: Context) -> dict[str, Any]:
    import numpy as np

    from core import trace
    from core.nn.model import MLP

    ds = ctx.dataset()
    x, label = ds.X_val[0], int(ds.y_val[0])
    rows = []
    for hidden in HIDDEN[:1] if ctx.quick else HIDDEN:
        sizes = (ds.n_features, *hidden, ds.n_classes)
        ctx.log(f"trace: {'-'.join(map(str, sizes))}")
        model = MLP(sizes, dtype="float32", seed=0)
        t = trace(model, x, label)
        fast = interleaved(
            {
                "trace": lambda m=model: trace(m, x, label),
                "own gradients": lambda m=model: m.loss_and_grads(x[None, :], np.array([label])),
                "apply": lambda t=t: t.apply(0.1),
            },
            FAST_ROUNDS * ctx.reps,
        )
        learn = interleaved(
            {"learn + validation": lambda t=t: t.learn(0.1, ds.X_val, ds.y_val)},
            LEARN_ROUNDS * ctx.reps,
        )
        busy, steps = traces_while_training(
            ds, sizes, lambda m=model: trace(m, x, label), FAST_ROUNDS * ctx.reps
        )
        times = {**fast, **learn, "trace while training": busy}
        rows.append(
            {
                "sizes": list(sizes),
                "hidden": list(hidden),
                "seconds": {k: median(v) for k, v in times.items()},
                "rounds": {k: len(v) for k, v in times.items()},
                "times": times,
                "training_steps_meanwhile": steps,
            }
        )
    return {"dtype": "float32", "n_val": len(ds.y_val), "reps": ctx.reps, "rows": rows}


def traces_while_training(
    ds, sizes, call, rounds: int, batch: int = 128
) -> tuple[list[float], int]:
    """Seconds of ``rounds`` calls made while another thread trains a ``sizes`` network.

    The timed calls start once the first training step is done (a handshake, not a
    sleep) and training runs until they end. Returns the times and how many
    training steps ran meanwhile.
    """
    from core.nn.model import MLP
    from core.nn.optim import make_optimizer

    model = MLP(sizes, dtype="float32", seed=1)
    optimizer = make_optimizer("sgd", model.params, 0.1)
    X, y = ds.X_train, ds.y_train
    starts = range(0, X.shape[0] - batch + 1, batch)
    running, stop = threading.Event(), threading.Event()
    steps = 0

    def train() -> None:
        nonlocal steps
        try:
            while not stop.is_set():
                start = starts[steps % len(starts)]
                model.train_batch(X[start : start + batch], y[start : start + batch], optimizer)
                steps += 1
                running.set()
        finally:
            running.set()  # a training step that failed must not leave the caller waiting

    worker = threading.Thread(target=train, name="bench-training", daemon=True)
    worker.start()
    times = []
    try:
        running.wait()
        if not steps:
            raise RuntimeError("the training thread stopped before its first step")
        for _ in range(rounds):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
    finally:
        stop.set()
        worker.join()
    return times, steps
