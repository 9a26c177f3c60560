"""How numbers and network shapes read in every message, table and label.

One place, so the command line, the sweep tables and the window write the same
network as ``784-128-10`` and the same learning rate as ``0.0316``.
"""

from __future__ import annotations

from collections.abc import Iterable


def sizes(layers: Iterable[int]) -> str:
    """A network's layer sizes (or a list of hidden widths) as ``784-128-10``."""
    return "-".join(str(int(n)) for n in layers)


def number(value: float, digits: int = 6) -> str:
    """A setting's value, short: ``0.1``, ``0.0316`` (``digits`` significant), ``1e-05``."""
    return f"{value:.{digits}g}"


def value(v: object, digits: int = 6) -> str:
    """Any setting's value as a label: numbers by :func:`number`, lists by :func:`sizes`."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return number(v, digits)
    if isinstance(v, (tuple, list)) and all(isinstance(x, int) for x in v):
        return sizes(v)
    if isinstance(v, (tuple, list)):
        return "-".join(value(x, digits) for x in v)
    return str(v)
