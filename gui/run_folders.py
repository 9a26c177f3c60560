"""Where the window's runs record their timelines, and which of those folders are kept.

Every run trained in the window records its timeline (``core.training.recorder``)
into a folder of its own, ``ROOT/20250101-120000-1``, made when the run starts.
``ROOT`` is, first found: the ``BACKPROP_RUNS`` environment variable, the window's
setting (File > Timeline folder…), then a ``runs`` folder in the user's data folder
(``platformdirs.user_data_path("backprop-studio")``: ``~/.local/share/backprop-studio/runs``
on Linux).

Each new folder is followed by a clean-up: the most recent ``keep`` run folders (20 by
default) are kept as long as together they fit ``budget`` bytes (2 GB by default); older
ones go, oldest first. Never deleted:

- a folder that is open: a window shows its run (it holds a shared lock on the folder's
  ``.open`` file, this window or another) or a run still records into it (the
  timeline's own ``timeline/.lock``);
- a folder whose run was saved as a checkpoint (``kept.json`` says where to);
- anything this module did not make: only folders named like ours and holding the
  ``.backprop-run`` marker are candidates, so a root pointed at a folder of other
  things loses none of them.

No Qt here: the clean-up runs in the training thread before the run trains.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: The environment variable that chooses the root of the run folders.
RUNS_ENV = "BACKPROP_RUNS"
#: Run folders kept by default, and the disk they may take together.
DEFAULT_KEEP = 20
DEFAULT_BUDGET_MB = 2048
MARKER = ".backprop-run"
OPEN_FILE = ".open"
KEPT_FILE = "kept.json"
RUN_NAME = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]+")

#: Folders this process holds open (where advisory locks are missing, the only guard).
_OPEN: set[Path] = set()
_LOCK = threading.Lock()


def default_root() -> Path:
    """The user's data folder's ``runs`` (where nothing else says otherwise)."""
    from platformdirs import user_data_path

    return user_data_path("backprop-studio", appauthor=False) / "runs"


def runs_root(setting: str | os.PathLike | None = None) -> Path:
    """The root of the run folders: ``BACKPROP_RUNS``, else ``setting``, else the default."""
    env = os.environ.get(RUNS_ENV, "").strip()
    chosen = env or (os.fspath(setting).strip() if setting else "")
    if chosen:
        return Path(os.path.abspath(os.path.expanduser(chosen)))
    return default_root()


class RunFolder:
    """One run's folder, held open (locked shared) until :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def open(self) -> bool:
        return self._fd is not None or self.path in _OPEN

    def hold(self) -> None:
        """Mark the folder open: the clean-up of any window leaves it alone."""
        if self.open:
            return
        with _LOCK:
            _OPEN.add(self.path)
        try:
            fd = os.open(self.path / OPEN_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return  # still open for this process; another one cannot tell
        if _flock(fd, shared=True, wait=True):
            self._fd = fd
        else:
            os.close(fd)

    def close(self) -> None:
        """Let the folder go: a later clean-up may delete it (idempotent)."""
        with _LOCK:
            _OPEN.discard(self.path)
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def keep(self, checkpoint: str | os.PathLike) -> None:
        """The run was saved to ``checkpoint``: the folder is never cleaned up after this."""
        path = self.path / KEPT_FILE
        try:
            saved = json.loads(path.read_text(encoding="utf-8")).get("checkpoints", [])
        except (OSError, ValueError, AttributeError):
            saved = []
        entry = os.path.abspath(os.fspath(checkpoint))
        if entry not in saved:
            saved.append(entry)
        tmp = path.with_name(f".{KEPT_FILE}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps({"checkpoints": saved}) + "\n", encoding="utf-8")
            os.replace(tmp, path)

    @property
    def kept(self) -> bool:
        return (self.path / KEPT_FILE).is_file()

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"


@dataclass
class RunFolders:
    """Makes run folders under ``root`` and cleans up after each (see the module doc)."""

    root: Path
    keep: int = DEFAULT_KEEP
    budget: int = DEFAULT_BUDGET_MB * 2**20

    def new(self) -> RunFolder:
        """A new, empty run folder, held open; then older ones are cleaned up.

        Raises ``OSError`` when the root cannot be written (the caller trains without
        a timeline). A failed clean-up never stops a run.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # Numbered after any of the same second, so that names sort as the runs began.
        n = 1 + max(
            (
                int(p.name.rpartition("-")[2])
                for p in self.root.glob(f"{stamp}-*")
                if RUN_NAME.fullmatch(p.name)
            ),
            default=0,
        )
        while True:
            path = self.root / f"{stamp}-{n}"
            try:
                path.mkdir()
                break
            except FileExistsError:
                n += 1
        (path / MARKER).write_bytes(b"")
        folder = RunFolder(path)
        folder.hold()
        with contextlib.suppress(OSError):
            self.clean_up()
        return folder

    def folders(self) -> list[Path]:
        """The run folders under the root, newest first (only ours: name and marker)."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        found = []
        for entry in entries:
            if not RUN_NAME.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and os.path.isfile(
                    os.path.join(entry.path, MARKER)
                ):
                    found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
        found.sort(key=lambda t: (_order(t[1]), t[0]), reverse=True)
        return [self.root / name for _, name in found]

    def clean_up(self) -> list[Path]:
        """Delete the run folders beyond the most recent ``keep`` or past the budget, oldest
        first, except open and kept ones; returns those deleted."""
        deleted = []
        used = 0
        for rank, path in enumerate(self.folders()):
            size = _size(path)
            over = rank >= self.keep or used + size > self.budget
            if not over:
                used += size
                continue
            if (path / KEPT_FILE).is_file() or not _remove_if_free(path):
                continue
            deleted.append(path)
        return deleted


def _order(name: str) -> tuple[str, int]:
    """``20250101-120000-12`` sorts after ``...-2`` of the same second."""
    stamp, _, n = name.rpartition("-")
    return stamp, int(n)


def _size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _remove_if_free(path: Path) -> bool:
    """Delete ``path`` unless someone holds it open or records into it; True when deleted."""
    if path in _OPEN:
        return False
    with contextlib.ExitStack() as held:
        for lock in (path / OPEN_FILE, path / "timeline" / ".lock"):
            try:
                fd = os.open(lock, os.O_RDWR)
            except FileNotFoundError:
                continue
            except OSError:
                return False
            held.callback(os.close, fd)
            if not _flock(fd, shared=False, wait=False):
                return False
        shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def _flock(fd: int, *, shared: bool, wait: bool) -> bool:
    """Take an advisory lock on ``fd``; True when taken (or when the system has none)."""
    try:
        import fcntl
    except ImportError:
        return True
    flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, flags)
    except OSError:
        return False
    return True
