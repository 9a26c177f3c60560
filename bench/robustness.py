"""The Evaluation tab's computations at 784-128-10 on the 10,000 MNIST test images.

``evaluate_test_set`` with every perturbation at its default strengths (the plain pass,
five curves, coverage), timed whole and per perturbation, and ``make_it_read_as`` on
test digits (the smallest change that makes the network read each as the next digit),
which a person waits for after a click. The model is trained one epoch first (its
accuracy changes how many steps an attack takes, not the cost of a step).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.context import Context
from bench.registry import section
from bench.timing import interleaved, median

HIDDEN = 128
ATTACKS = 20


@section("robustness", "Test-set evaluation: perturbation curves, coverage, fooling (784-128-10)")
def run(ctx: Context) -> dict[str, Any]:
    from core.training.adversarial import make_it_read_as
    from core.training.config import Config
    from core.training.robustness import KINDS, evaluate_test_set
    from core.training.trainer import Trainer

    ds = ctx.dataset()
    trainer = Trainer(Config(dataset=ds.name, hidden=(HIDDEN,), epochs=1, seed=0), ds)
    list(trainer.run())
    model = trainer.model
    assert model is not None
    ctx.log("robustness: the whole evaluation and each perturbation alone")
    runs = {"all": lambda: evaluate_test_set(model, ds)}
    runs.update({k: lambda k=k: evaluate_test_set(model, ds, kinds=(k,)) for k in KINDS})
    times = interleaved(runs, ctx.reps)
    whole = times.pop("all")
    ev = evaluate_test_set(model, ds)
    ctx.log("robustness: make_it_read_as")
    attacks, eps, success = [], [], 0
    n_attacks = 5 if ctx.quick else ATTACKS
    for i in range(n_attacks):
        target = (int(ds.y_test[i]) + 1) % ds.n_classes
        t0 = time.perf_counter()
        a = make_it_read_as(model, ds.X_test[i], target)
        attacks.append(time.perf_counter() - t0)
        success += a.success
        eps.append(a.epsilon)
    return {
        "architecture": list(model.sizes),
        "n_test": len(ds.y_test),
        "test_accuracy": ev.accuracy,
        "strengths": sum(len(c.strengths) for c in ev.curves),
        "seconds": median(whole),
        "times": whole,
        "per_kind_s": {k: median(v) for k, v in times.items()},
        "attack": {
            "n": n_attacks,
            "median_s": median(attacks),
            "max_s": max(attacks),
            "succeeded": success,
            "median_epsilon": float(np.median(eps)),
        },
    }
