"""Files written whole or not at all, as SQLite and the standard library promise theirs.

- :func:`write_atomic` writes a temporary file beside the target (a name no other
  writer shares: process id and a random token), flushes and fsyncs it, renames it
  over the target and fsyncs the folder. A crash, a kill, a full disk or a second
  Ctrl-C at any moment leaves the old file or the new one, and the temporary file
  is removed on every way out but a kill; temporaries of killed writers are removed
  by the next write.
- :func:`append_record` appends one record (a line of a results file) under an
  exclusive lock, in one write when the system allows and in any case whole: a write
  that fails half-way is cut back to where it started, so no half record stays. A
  file that ends without a newline (its writer was killed mid-record) gets one
  first, so the new record starts on a line of its own.
- :func:`create_with` creates a file with its first bytes (a header) in one step,
  or leaves an existing one alone, so two processes starting at once agree.
- :func:`shared_lock` holds readers off while a record is being appended.
- :func:`probe_folder` creates and removes a file in a folder, so a command finds
  out before its work, not after, that it could not save the result there.

Every function raises ``OSError`` (with ``NotAFile`` for special files, see
:mod:`core.guard.paths`); callers say which file and what it was for.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from core.guard.paths import NotAFile, check_output

try:  # POSIX advisory locks; elsewhere writers rely on single appends
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], Any]) -> Path:
    """Write ``path`` through ``write(file)`` on a temporary sibling, then rename it."""
    path = check_output(path)
    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(folder)
    remove_stale_temporaries(path)
    return path


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files of earlier writes to ``path`` whose writer is gone."""
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for tmp in path.parent.iterdir():
            name = tmp.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid = name[len(prefix) :].split(".", 1)[0]
            if not pid.isdigit() or int(pid) == os.getpid() or process_alive(int(pid)):
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()


def process_alive(pid: int) -> bool:
    """Process ``pid`` still runs (a temporary file of its may still be written)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, but not ours to signal
    return True


def fsync_folder(folder: Path) -> None:
    """Make a rename durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def probe_folder(folder: str | os.PathLike[str]) -> None:
    """Create and remove an empty file in ``folder``; ``OSError`` when that cannot be done.

    Asking the system is the only sure test: permission bits say nothing for root,
    an immutable folder or a read-only mount refuse even root, and access control
    lists may allow what the bits forbid.
    """
    probe = Path(folder) / f".probe.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.unlink(probe)


def create_with(path: str | os.PathLike[str], first: bytes) -> bool:
    """Create ``path`` holding ``first``, unless it exists; True when this call made it.

    The file appears with its content in one step (a hard link of a finished
    temporary file), so a reader or a second writer never sees it empty.
    """
    path = Path(path)
    if path.exists():
        check_output(path)
        return False
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            f.write(first)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            check_output(path)
            return False
        except OSError:  # no hard links here: exclusive creation, then the bytes
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                check_output(path)
                return False
            with os.fdopen(fd, "wb") as f:
                f.write(first)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_folder(path.parent)
    return True


def append_record(path: str | os.PathLike[str], record: bytes, *, if_empty: bool = False) -> None:
    """Append ``record`` (ending in a newline) to ``path``, whole or not at all.

    ``if_empty``: only when the file is still empty (a header, written by whichever
    process gets the lock first).
    """
    check_output(path)
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # a FIFO put there since: fail, never wait
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | nonblocking | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(path, st.st_mode)
        if nonblocking:
            os.set_blocking(fd, True)
        with _locked(fd, exclusive=True):
            start = os.fstat(fd).st_size
            if if_empty and start:
                return
            if start and _last_byte(path, start) != b"\n":
                record = b"\n" + record
            try:
                view = memoryview(record)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)
                raise
    finally:
        os.close(fd)


def _last_byte(path: str | os.PathLike[str], size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1)


@contextlib.contextmanager
def _locked(fd: int, *, exclusive: bool) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def shared_lock(f: IO[Any]) -> Iterator[None]:
    """Hold ``f``'s file against :func:`append_record` while it is read."""
    with _locked(f.fileno(), exclusive=False):
        yield
