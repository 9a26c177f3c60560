"""The sections of the benchmark, each a function that measures one thing.

A module registers its section with the :func:`section` decorator and is listed
in :data:`SECTION_MODULES` (that order is the run order). ``python -m bench`` runs
the default sections; ``--only NAME`` picks any, including the long optional
ones. Each section returns a JSON-friendly dict that is stored under its name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.context import Context

SectionFn = Callable[[Context], dict[str, Any]]

#: Modules that register sections, in the order they run.
SECTION_MODULES = (
    "bench.environment",
    "bench.speed",
    "bench.inference",
    "bench.trace_section",
    "bench.gui_overhead",
    "bench.inside_section",
    "bench.startup",
    "bench.memory",
    "bench.sweep_section",
    "bench.imagefolder",
    "bench.robustness",
    "bench.timeline_section",
    "bench.scrub_section",
    "bench.accuracy",
    "bench.reliability",
)


@dataclass(frozen=True)
class Section:
    """One named measurement. ``default`` sections run in a plain ``python -m bench``."""

    name: str
    title: str
    run: SectionFn
    default: bool = True


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str, *, default: bool = True) -> Callable[[SectionFn], SectionFn]:
    """Register the decorated function as the section ``name``."""

    def register(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = Section(name, title, fn, default)
        return fn

    return register


def load_sections() -> dict[str, Section]:
    """Import every section module; the registry, in run order."""
    for module in SECTION_MODULES:
        importlib.import_module(module)
    return SECTIONS
