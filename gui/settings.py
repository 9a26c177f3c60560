"""What the studio remembers between launches, and how it survives a damaged settings file.

Kept (through ``QSettings``): the window's geometry and the layout of its docks
and toolbars, the last run's settings (dataset, network, optimiser, rates...),
the folder last used for checkpoints and exports, the theme, and where runs record
their timelines (``runs/folder``, ``runs/keep``: how many run folders are kept,
``runs/budget_mb``: the disk they may take; see :mod:`gui.run_folders`). Settings files
outlive program versions and can be edited by hand, so nothing read here is
trusted: each value is checked on its own (``core.training.config``'s rules for run
settings), a bad one is replaced by its default and reported as a
:class:`~core.errors.SettingsError` naming the key and the value, and the rest
is still used. Reading settings never raises.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from core.errors import BackpropError, SettingsError
from core.guard.paths import expand
from core.training.config import Config
from gui.run_folders import DEFAULT_BUDGET_MB, DEFAULT_KEEP

#: Bumped when the window's dock layout changes so an old saved layout is ignored.
LAYOUT_VERSION = 1
THEMES = ("system", "light", "dark")
RUN = "run/"
#: Run settings that are paths (a dataset may be a folder): ``~user`` must expand here.
PATHS = ("dataset", "data_path")


def _text(value: Any) -> str:
    """A stored value as text: INI files turn "a,b" into a list, numbers may come typed."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _stored(name: str, value: Any) -> str:
    if name == "hidden":
        return "x".join(str(v) for v in value)  # no comma: INI would make it a list
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


class Settings:
    """The studio's preferences over one ``QSettings`` (tests give one on a temporary file)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()
        self.errors: list[SettingsError] = []

    def _error(self, key: str, value: Any, why: str) -> None:
        self.errors.append(
            SettingsError(
                f"settings {self.store.fileName()}: {key} = {_text(value)!r}: {why}; "
                "using the default"
            )
        )

    # -- the run's settings ---------------------------------------------------------
    def save_config(self, config: Config) -> None:
        for name, value in config.to_dict().items():
            self.store.setValue(RUN + name, _stored(name, value))

    def load_config(self, default: Config) -> Config:
        """The stored run settings over ``default``; bad values fall back (see ``errors``)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(Config):
            key = RUN + f.name
            if not self.store.contains(key):
                continue
            raw = self.store.value(key)
            try:
                value = getattr(Config.from_strings({f.name: _text(raw)}), f.name)
                if f.name in PATHS and isinstance(value, str):
                    expand(value, key)  # a ~user this machine lacks: refused here, not later
                values[f.name] = value
            except BackpropError as exc:
                self._error(key, raw, str(exc))
            except (TypeError, ValueError) as exc:
                self._error(key, raw, f"not a valid value ({exc})")
        try:
            return default.replace(**values)
        except BackpropError as exc:  # each fine alone, not together
            self._error("run", values, str(exc))
            return default

    # -- the window -----------------------------------------------------------------
    def save_window(self, window: QMainWindow) -> None:
        self.store.setValue("window/geometry", window.saveGeometry())
        self.store.setValue("window/state", window.saveState(LAYOUT_VERSION))

    def restore_window(self, window: QMainWindow) -> bool:
        """Put back the saved size, position and dock layout; False when there was none."""
        restored = False
        for key, restore in (
            ("window/geometry", window.restoreGeometry),
            ("window/state", lambda b: window.restoreState(b, LAYOUT_VERSION)),
        ):
            if not self.store.contains(key):
                continue
            raw = self.store.value(key)
            if not isinstance(raw, (QByteArray, bytes)) or not restore(QByteArray(raw)):
                self._error(key, "<window layout>", "not a layout this version can restore")
                continue
            restored = True
        return restored

    # -- small things ---------------------------------------------------------------
    @property
    def last_folder(self) -> Path:
        """The folder last used for a checkpoint or an export (home when gone or unset)."""
        raw = self.store.value("files/last_folder")
        if raw is None:
            return Path.home()
        try:
            folder = expand(_text(raw), "files/last_folder")
            usable = folder.is_dir()
        except (BackpropError, OSError, ValueError):  # ~nosuchuser, a NUL byte, too long...
            usable = False
        if not usable:
            self._error("files/last_folder", raw, "no such folder")
            return Path.home()
        return folder

    @last_folder.setter
    def last_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        self.store.setValue("files/last_folder", str(folder if folder.is_dir() else folder.parent))

    @property
    def theme(self) -> str:
        """ "system", "light" or "dark"."""
        raw = self.store.value("view/theme", "system")
        if _text(raw) not in THEMES:
            self._error("view/theme", raw, f"choose one of {', '.join(THEMES)}")
            return "system"
        return _text(raw)

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise SettingsError(f"theme: {value!r}; choose one of {', '.join(THEMES)}")
        self.store.setValue("view/theme", value)

    @property
    def runs_folder(self) -> str | None:
        """The folder chosen for the run folders (None: the default)."""
        raw = self.store.value("runs/folder")
        if raw is None or not _text(raw).strip():
            return None
        try:
            return str(expand(_text(raw), "runs/folder"))
        except (BackpropError, ValueError):
            self._error("runs/folder", raw, "not a usable folder name")
            return None

    @runs_folder.setter
    def runs_folder(self, folder: str | None) -> None:
        self.store.setValue("runs/folder", folder or "")

    def _count(self, key: str, default: int, low: int, high: int) -> int:
        raw = self.store.value(key)
        if raw is None:
            return default
        try:
            value = int(_text(raw))
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            self._error(key, raw, f"choose a whole number from {low} to {high}")
            return default
        return value

    @property
    def runs_keep(self) -> int:
        """How many run folders are kept (the most recent)."""
        return self._count("runs/keep", DEFAULT_KEEP, 1, 100_000)

    @property
    def runs_budget(self) -> int:
        """The disk the run folders may take together, in bytes."""
        return self._count("runs/budget_mb", DEFAULT_BUDGET_MB, 1, 2**30) * 2**20

    def sync(self) -> None:
        """Write to disk now (QSettings also does it on its own, later)."""
        self.store.sync()
        status = self.store.status()
        if status != QSettings.Status.NoError:
            self.errors.append(
                SettingsError(
                    f"settings {self.store.fileName()}: cannot be written ({status.name})"
                )
            )
