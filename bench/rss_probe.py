"""Run a Python script or ``-c`` code and print this process's peak RSS when it exits.

``python -m bench.rss_probe main.py train ...`` or ``python -m bench.rss_probe -c CODE``.
The figure is ``VmHWM`` from /proc/self/status: the high-water mark of this
process's own memory map, which starts empty at exec. (The ``ru_maxrss`` a
parent gets from ``wait4`` is no good here: Linux carries the parent's size at
fork over into the child's figure.)
"""

from __future__ import annotations

import atexit
import runpy
import sys


def peak_rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def report() -> None:
    print(f"PEAKRSS {peak_rss_kb()}", file=sys.stderr, flush=True)


def main() -> None:
    args = sys.argv[1:]
    atexit.register(report)
    if args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
