"""Where the numbers come from: CPU, BLAS and its threads, library versions."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.registry import section


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (or what the platform module knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_pools() -> list[dict[str, Any]]:
    """Every native thread pool numpy (and torch, if imported) uses, per threadpoolctl."""
    import numpy  # noqa: F401  (loads the BLAS so threadpoolctl can see it)
    from threadpoolctl import threadpool_info

    keys = (
        "user_api",
        "internal_api",
        "num_threads",
        "version",
        "threading_layer",
        "architecture",
        "filepath",
    )
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in ("numpy", "scipy", "torch", "PySide6-Essentials", "pyqtgraph", "scikit-learn"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def machine() -> dict[str, Any]:
    """A short description of the machine, stored with every results file."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "system": f"{platform.system()} {platform.release()}",
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


@section("environment", "Machine, BLAS and versions")
def run(ctx: Context) -> dict[str, Any]:
    env_vars = {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith(("OPENBLAS", "OMP_", "MKL_", "BLIS_", "GOTO"))
    }
    return {
        "machine": machine(),
        "versions": versions(),
        "blas": blas_pools(),
        "env": env_vars,
    }
