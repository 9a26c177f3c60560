"""Start-up: from ``python main.py`` to the window on screen, and what the imports cost.

Method: a fresh interpreter runs ``python -m bench.startup_probe``, which runs
``main.py`` unchanged except that the main window reports its first paint (see
that module). The time is from just before the parent spawns the process to that
paint, on Qt's offscreen platform, with ``BACKPROP_DATA`` pointing at MNIST so
the window preloads it in its thread exactly as on a first launch. The bare
interpreter's start (``python -c pass``) is measured alongside for scale.
``python -X importtime -c "import gui.app, gui.main_window"`` gives the offenders.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.context import ROOT, Context, find_mnist
from bench.registry import section

#: Imports that must not be on the start-up path (the window loads data lazily).
HEAVY = ("sklearn", "pooch", "scipy", "torch", "pandas", "matplotlib")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["BACKPROP_ON_UNSAVED_CLOSE"] = "discard"
    mnist = find_mnist()
    if mnist is not None:
        env["BACKPROP_DATA"] = str(mnist)
    return env


def time_to_window(env: dict[str, str], timeout: float = 60.0) -> dict[str, float]:
    """One cold-ish start: seconds to the first show and to the first paint."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.startup_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("STARTUP "):
            marks = json.loads(line[len("STARTUP ") :])
            return {"shown_s": marks["shown"] - t0, "painted_s": marks["painted"] - t0}
    raise RuntimeError(f"the window never painted (exit {proc.returncode}): {proc.stderr[-800:]}")


def time_bare_python(env: dict[str, str]) -> float:
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.monotonic() - t0


def parse_importtime(text: str) -> list[dict[str, Any]]:
    """Rows of ``-X importtime`` output: module, nesting depth, self and cumulative ms."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|", 2)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append(
            {
                "module": name.strip(),
                "depth": depth,
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cum_us) / 1000,
            }
        )
    return rows


def import_profile(env: dict[str, str], runs: int) -> dict[str, Any]:
    """Median import costs of the window's modules over ``runs`` fresh interpreters."""
    per_run = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import gui.app, gui.main_window"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        per_run.append(parse_importtime(proc.stderr))
    by_package: dict[str, list[float]] = {}
    self_time: dict[str, list[float]] = {}
    for rows in per_run:
        package_ms: dict[str, float] = {}
        for r in rows:
            top = r["module"].split(".")[0]
            package_ms[top] = package_ms.get(top, 0.0) + r["self_ms"]
            self_time.setdefault(r["module"], []).append(r["self_ms"])
        for top, ms in package_ms.items():
            by_package.setdefault(top, []).append(ms)
    packages = {m: statistics.median(v) for m, v in by_package.items()}
    own = {m: statistics.median(v) for m, v in self_time.items()}
    return {
        "total_ms": round(sum(packages.values()), 1),
        "modules": len(own),
        "by_package_ms": _top(packages, 10),
        "top_modules_self_ms": _top(own, 12),
        "heavy_imported": sorted(h for h in HEAVY if h in packages),
    }


def _top(values: dict[str, float], n: int) -> list[list]:
    ranked = sorted(values.items(), key=lambda kv: -kv[1])[:n]
    return [[name, round(ms, 1)] for name, ms in ranked]


@section("startup", "Start-up: python main.py to the window on screen; import costs")
def run(ctx: Context) -> dict[str, Any]:
    env = child_env()
    reps = 1 if ctx.quick else ctx.reps
    windows, bare = [], []
    for i in range(reps):
        ctx.log(f"startup: round {i + 1} of {reps}")
        windows.append(time_to_window(env))
        bare.append(time_bare_python(env))
    return {
        "method": "fresh process, Qt offscreen platform, main.py unchanged; time from spawn "
        "to the main window's first paint (bench/startup_probe.py)",
        "platform": env["QT_QPA_PLATFORM"],
        "preloads_mnist": "BACKPROP_DATA" in env,
        "rounds": reps,
        "window_painted_s": statistics.median(w["painted_s"] for w in windows),
        "window_shown_s": statistics.median(w["shown_s"] for w in windows),
        "bare_python_s": statistics.median(bare),
        "all_painted_s": [round(w["painted_s"], 3) for w in windows],
        "imports": import_profile(env, 1 if ctx.quick else 3),
    }
