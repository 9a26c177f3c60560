"""The Inside tab while training: what following the run costs the window and the training.

The same fresh-process probe as the GUI overhead section (``bench.gui_probe``), with the
Inside tab shown: every snapshot is traced again in the tab's worker and drawn. Per
shape it reports training in the window over headless, the GUI thread's worst stall
(a 10 ms timer's longest gap) beside the same probe's without the tab, run just
before it (this machine's load moves stalls more than any view does), each trace's
time in the worker (with its pictures),
the GUI thread's time drawing a new trace (on the dW1 step, the one with the most
pictures) and the time to show each step once training is over. Hidden 1024 draws
the largest pictures (1,024 templates and update images, a 1024x10 matrix).
"""

from __future__ import annotations

from typing import Any

from bench.context import Context
from bench.gui_overhead import ROUNDS, STALL_BUDGET_MS, probe
from bench.registry import section

SHAPES = (128, 1024)


@section(
    "inside",
    "Inside tab shown while training: stall, draw and trace times, window over headless",
    default=False,
)
def run(ctx: Context) -> dict[str, Any]:
    rows = []
    for hidden in SHAPES[-1:] if ctx.quick else SHAPES:
        epochs, rounds = (1, 1) if ctx.quick else (3, ROUNDS[hidden])
        ctx.log(f"inside: hidden {hidden}, without the tab")
        without = probe(ctx, hidden, epochs=epochs, rounds=rounds)
        ctx.log(f"inside: hidden {hidden}, the Inside tab shown")
        row = probe(ctx, hidden, epochs=epochs, rounds=rounds, tab="inside")
        row["without_tab"] = {
            k: without.get(k) for k in ("worst_stall_ms", "worst_stall_per_round_ms", "ratio")
        }
        rows.append(row)
    stalled = [r for r in rows if (r.get("worst_stall_ms") or 0) > STALL_BUDGET_MS]
    diagnosis = None
    if stalled and not ctx.quick:
        worst = max(stalled, key=lambda r: r["worst_stall_ms"])
        ctx.log(f"inside: diagnosing the stalls at hidden {worst['hidden']}")
        diagnosis = probe(ctx, worst["hidden"], epochs=2, rounds=1, diagnose=True, tab="inside")
    return {
        "diagnosis": diagnosis,
        "method": "as the gui section, with the Inside tab shown and following the run on "
        "the dW1 step; trace: the tab's worker job (core.trace and every step's pictures); "
        "draw: InsideView._draw_traced in the GUI thread; step: showing one step's pictures "
        "and repainting the window, after training",
        "rows": rows,
    }
