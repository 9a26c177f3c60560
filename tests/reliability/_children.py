"""Work done in child processes by the fault tests: saving forever, saving under limits.

These run in processes forked from a server that has imported ``core`` already, so
a child is ready in milliseconds and 50 kills fit in a few seconds.
"""

from __future__ import annotations

import os
import resource
import signal
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import CheckpointError
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training import checkpoint
from core.training.config import Config


def parts(hidden: int, marker: int) -> dict[str, Any]:
    """A model, optimiser, config and history whose every bias and last record say ``marker``.

    A checkpoint holding them is whole exactly when ``b1`` (arrays) and the last history
    row (JSON) carry the same marker.
    """
    model = MLP([784, hidden, 10], seed=0)
    model.params[1][:] = marker
    return {
        "model": model,
        "optimizer": make_optimizer("adam", model.params, 0.001),
        "config": Config(hidden=(hidden,)),
        "history": [{"epoch": 0, "val_acc": 0.5, "marker": marker}],
    }


def marker_of(ck: checkpoint.Checkpoint) -> int:
    """The marker of a loaded checkpoint, after checking that arrays and JSON agree."""
    b1 = ck.model.params[1]
    marker = int(ck.history[-1]["marker"])
    assert np.all(b1 == marker), f"arrays say {b1[:3]}..., the history says {marker}"
    return marker


def save_forever(path: str, first_marker: int, started: Any) -> None:
    """Save checkpoints with rising markers until killed."""
    p = parts(256, first_marker)
    marker = first_marker
    started.set()
    while True:
        marker += 1
        p["model"].params[1][:] = marker
        p["history"][-1]["marker"] = marker
        checkpoint.save(path, **p)


def save_limited(
    path: str, marker: int, limit_bytes: int | None, uid: int | None, answer: Any
) -> None:
    """Try one save under a file-size limit and/or as another user; report the outcome."""
    # Built before dropping privileges: the model's imports come from the checkout, which
    # an unprivileged user may not be able to read; only the save itself runs as ``uid``.
    checkpoint_parts = parts(256, marker)
    if limit_bytes is not None:
        # Past the limit a write fails with EFBIG instead of the process being killed.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    target = Path(path)
    if uid is not None:
        # Inside the folder first: the user may not pass through its private parents
        # (pytest's temporary folders), and what is tested is writing into this folder.
        os.chdir(target.parent)
        target = Path(target.name)
        os.setgid(uid)
        os.setuid(uid)
    try:
        checkpoint.save(target, **checkpoint_parts)
        answer.put(("saved", ""))
    except CheckpointError as e:
        answer.put(("CheckpointError", str(e)))
    except BaseException as e:  # anything else is what the test is looking for
        answer.put((type(e).__name__, str(e)))
