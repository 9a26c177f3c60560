"""Sweeps: many headless training runs over a grid or a random sample of settings.

``SweepSpec`` says what to run, ``Sweep`` runs it into a CSV (resuming what is
there), ``top_runs`` reads back the best runs with their per-epoch history.
"""

from __future__ import annotations

from core.sweep.results import top_runs
from core.sweep.runner import Sweep, default_jobs, run_trial, run_trials
from core.sweep.spec import Axis, SweepSpec, Trial

__all__ = [
    "Axis",
    "Sweep",
    "SweepSpec",
    "Trial",
    "default_jobs",
    "run_trial",
    "run_trials",
    "top_runs",
]
