"""Download progress on a terminal: one tqdm bar per file."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO


def tqdm_progress(file: TextIO | None = None) -> Callable[[str, int, int], None]:
    """A ``progress(file_name, done_bytes, total_bytes)`` callback that draws tqdm bars.

    Pass it as ``load_dataset(..., progress=tqdm_progress())``; each file gets its
    own bar (in bytes), closed when the file is complete. ``file`` defaults to stderr.
    """
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(
                total=total or None, desc=name, unit="B", unit_scale=True,
                unit_divisor=1024, file=file, leave=True, dynamic_ncols=True,
            )  # fmt: skip
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()
            del bars[name]

    return update
