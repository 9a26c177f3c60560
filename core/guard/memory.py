"""How much memory this process may still take, and refusing work that needs more.

Allocating first and finding out later gives a raw ``MemoryError`` at best; at
worst the system swaps for minutes or its out-of-memory killer ends this process
(or another one). So whatever is about to allocate something large (a model and its
training buffers, a dataset, a decompressed file) estimates it first and calls
:func:`require`, which compares the estimate with what is available: the memory the
system reports as available (psutil), or less when this process is held to less by
its address-space limit (``RLIMIT_AS``) or its control group (``memory.max``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from core.errors import ConfigError

#: Deflate (zip, gzip) cannot expand its input by more than about 1032:1, so a
#: compressed stream of ``n`` bytes never holds more than ``n * MAX_DEFLATE_RATIO``.
MAX_DEFLATE_RATIO = 1032


def available_bytes() -> int:
    """Bytes this process can still allocate, as far as the system and its limits say."""
    import psutil

    limits = [int(psutil.virtual_memory().available)]
    used = None
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            used = int(psutil.Process().memory_info().vms)
            limits.append(soft - used)
    cgroup = _cgroup_headroom()
    if cgroup is not None:
        limits.append(cgroup)
    return max(0, min(limits))


def _cgroup_headroom() -> int | None:
    """``memory.max - memory.current`` of this process's cgroup (v2), if it has a limit."""
    try:
        line = Path("/proc/self/cgroup").read_text().splitlines()[0]
        hierarchy, _, group = line.partition("::")
        if hierarchy != "0":
            return None
        folder = Path("/sys/fs/cgroup") / group.lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((folder / "memory.current").read_text().strip())
    except (OSError, ValueError, IndexError):
        return None


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: binary units, one decimal, as ``free -h`` shows memory."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # the loop returns at PiB


def require(
    nbytes: int,
    what: str,
    *,
    error: type[Exception] = ConfigError,
    advice: str = "",
) -> None:
    """Refuse (raise ``error``) when ``what`` needs more than the memory available.

    The message gives the estimate and what is available, then ``advice``.
    """
    available = available_bytes()
    if nbytes <= available:
        return
    message = (
        f"{what} needs about {format_bytes(nbytes)} of memory, but only "
        f"{format_bytes(available)} is available"
    )
    raise error(f"{message}; {advice}" if advice else message)
