"""Scrubbing the timeline while the window trains: the GUI thread's worst stall.

A fresh process (``bench.scrub_probe``) trains the same MNIST run at 784-128-10 in a
shown window, round after round, every other round with the timeline's slider dragged
back and forth over every recorded moment at 60 moves a second while it trains. The
worst gap of a 10 ms timer in the GUI thread is compared between the two kinds of
round (the machine's own noise shows in the untouched ones); also each move's own
cost in the GUI thread and how soon a moment appears once the drag rests on it (it is
loaded in a worker thread).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.context import ROOT, Context
from bench.registry import section

EPOCHS = 30
ROUNDS = 3


@section(
    "scrub",
    "Scrubbing the timeline while training: GUI-thread stall, cost of a move, delay",
    default=False,
)
def run(ctx: Context) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.scrub_probe",
        "--epochs",
        str(3 if ctx.quick else EPOCHS),
        "--rounds",
        str(1 if ctx.quick else ROUNDS),
        "--dataset",
        ctx.dataset_name,
    ]
    if ctx.dataset_name == "mnist":
        cmd += ["--data", str(ctx.mnist_dir())]
    ctx.log("scrub: windowed rounds, plain and scrubbed in turn")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("SCRUBPROBE "):
            out = json.loads(line[len("SCRUBPROBE ") :])
            out["dataset"] = ctx.dataset_name
            return out
    raise RuntimeError(f"scrub probe failed (exit {proc.returncode}): {proc.stderr[-800:]}")
