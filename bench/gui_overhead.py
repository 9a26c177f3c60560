"""GUI overhead: training throughput inside the window over headless, and GUI-thread stalls.

Each shape runs in a fresh process (``bench.gui_probe``): headless and windowed
rounds alternate there, on the same data and settings. The default window
network (784-128-10) shows the throughput cost of the views; hidden 1024 makes
the heaviest pictures (1024 receptive fields per snapshot) and so the worst stall.
When a stall exceeds the 50 ms budget, one more (slowed, uncounted) round times
every GUI-thread event and view slot to name the culprits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.context import ROOT, Context
from bench.registry import section

SHAPES = (128, 1024)
#: Windowed rounds per shape: short epochs make short rounds, and more of them
#: steady a median that the machine's own swings move by several percent.
ROUNDS = {128: 8, 1024: 3}


#: Above this GUI-thread stall (ms) a diagnostic round names the slowest events.
STALL_BUDGET_MS = 50.0


def probe(
    ctx: Context,
    hidden: int,
    epochs: int,
    rounds: int,
    diagnose: bool = False,
    tab: str | None = None,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.gui_probe",
        "--hidden",
        str(hidden),
        "--epochs",
        str(epochs),
        "--rounds",
        str(rounds),
        "--dataset",
        ctx.dataset_name,
    ]
    if diagnose:
        cmd.append("--diagnose")
    if tab is not None:
        cmd += ["--tab", tab]
    if ctx.dataset_name == "mnist":
        cmd += ["--data", str(ctx.mnist_dir())]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    for line in proc.stdout.splitlines():
        if line.startswith("GUIPROBE "):
            return json.loads(line[len("GUIPROBE ") :])
    raise RuntimeError(f"gui probe failed (exit {proc.returncode}): {proc.stderr[-800:]}")


@section("gui", "GUI overhead: window samples/s over headless; GUI thread's worst stall")
def run(ctx: Context) -> dict[str, Any]:
    rows = []
    shapes = SHAPES[-1:] if ctx.quick else SHAPES
    for hidden in shapes:
        ctx.log(f"gui: hidden {hidden}")
        rows.append(
            probe(
                ctx, hidden, epochs=1 if ctx.quick else 3, rounds=1 if ctx.quick else ROUNDS[hidden]
            )
        )
    stalled = [r for r in rows if (r.get("worst_stall_ms") or 0) > STALL_BUDGET_MS]
    diagnosis = None
    if stalled and not ctx.quick:
        worst = max(stalled, key=lambda r: r["worst_stall_ms"])
        ctx.log(f"gui: diagnosing the stalls at hidden {worst['hidden']}")
        diagnosis = probe(ctx, worst["hidden"], epochs=2, rounds=1, diagnose=True)
    return {
        "diagnosis": diagnosis,
        "method": "one process per shape; headless and windowed rounds alternate, each "
        "windowed round between two headless ones; ratio: median over windowed "
        "rounds of its samples/s over the mean of its two neighbours; Qt offscreen "
        "with every view live; EpochReport samples/s; a 10 ms QTimer in the GUI "
        "thread measures stalls",
        "rows": rows,
    }
