"""Memory: the peak resident set of a headless MNIST run, and how much of it is the data.

Each measurement is a fresh process that reports its own peak resident set
(``VmHWM``, see :mod:`bench.rss_probe`). Three processes, smallest first:
the interpreter with numpy, loading MNIST only, and ``main.py train`` for one
epoch of 784-128-10 (the command a person types, checkpoint and report included).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any

from bench.context import ROOT, Context
from bench.registry import section


def peak_rss_mb(args: list[str]) -> float:
    """Run ``python -m bench.rss_probe ARGS`` and return the child's peak resident set in MiB."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.rss_probe", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("PEAKRSS ")]
    if proc.returncode != 0 or not peaks:
        raise RuntimeError(
            f"{' '.join(args[:3])}... exited {proc.returncode}: {proc.stderr[-600:]}"
        )
    return int(peaks[-1]) / 1024


@section("memory", "Memory: peak RSS of a headless MNIST run")
def run(ctx: Context) -> dict[str, Any]:
    folder = str(ctx.mnist_dir()) if ctx.dataset_name == "mnist" else None
    name = ctx.dataset_name
    load = (
        f"from core.data import load_dataset; "
        f"d = load_dataset({name!r}, path={folder!r}); print(d.X_train.nbytes)"
    )
    out: dict[str, Any] = {"dataset": name}
    out["python_numpy_mb"] = peak_rss_mb(["-c", "import numpy"])
    out["load_dataset_mb"] = peak_rss_mb(["-c", load])
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "main.py",
            "train",
            "--dataset",
            name,
            "--epochs",
            "1",
            "--hidden",
            "128",
            "--batch-size",
            "128",
            "--no-pictures",
        ]
        if folder:
            cmd += ["--data-path", folder]
        cmd += ["-o", tmp]
        out["headless_run_mb"] = peak_rss_mb(cmd)
        out["command"] = " ".join(c for c in cmd[:-2] if c not in ("--data-path", folder))
    ds = ctx.dataset()
    arrays = (ds.X_train, ds.y_train, ds.X_val, ds.y_val, ds.X_test, ds.y_test)
    out["dataset_arrays_mb"] = sum(a.nbytes for a in arrays) / 2**20
    return out
