"""Paths a person gives: ``~`` expanded or refused, special files never read or replaced.

- :func:`expand`: a leading ``~`` or ``~user`` becomes that home folder; a user this
  machine does not know is an error naming the path, never a folder literally called
  ``~user`` and never a traceback.
- :func:`open_regular`: opens a file for reading only if it is a regular file, so a
  FIFO never blocks the reader and a device is never read (opening some devices has
  effects of its own), checked before and after opening.
- :func:`check_output`: a path about to be written must not be an existing device,
  FIFO, socket or folder: writing a temporary file and renaming it over ``/dev/null``
  would replace the device with a regular file.
- :func:`check_distinct`: the outputs of one command must be different files.

The checks raise :class:`NotAFile` (an ``OSError`` with a readable ``strerror``), so
every reader and writer reports it through the ``OSError`` handling it already has.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from core.errors import ConfigError


class NotAFile(OSError):
    """The path exists but is not a regular file (a device, FIFO, socket or folder)."""

    def __init__(self, path: str | os.PathLike[str], mode: int) -> None:
        super().__init__(errno.EINVAL, f"{kind(mode)}, not a regular file", os.fspath(path))


def kind(mode: int) -> str:
    """What a ``st_mode`` describes, in words."""
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return name
    return "a special file"


def expand(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded.

    Raises :class:`~core.errors.ConfigError` naming ``what`` (``"--data-path"``,
    ``"BACKPROP_DATA"``...) when the home folder it names is not known here.
    """
    text = os.fspath(path)
    if not text.startswith("~"):
        return Path(text)
    try:
        expanded = os.path.expanduser(text)
    except (KeyError, RuntimeError, OSError):  # no HOME and no password entry
        expanded = text
    if expanded.startswith("~"):
        user = text[1:].replace("\\", "/").split("/", 1)[0]
        who = f"there is no user {user!r} on this machine" if user else "HOME is not known"
        raise ConfigError(f"{what} {text!r}: {who}, so {text.split('/')[0]!r} has no folder")
    return Path(expanded)


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open ``path`` for reading in binary, or raise ``OSError`` (:class:`NotAFile` when
    it is not a regular file). Never blocks on a FIFO; never opens a device."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotAFile(path, st.st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)  # the file opened may not be the one looked at
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(path, st.st_mode)
        if flags & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing regular file (False for anything unreadable)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_output(path: str | os.PathLike[str]) -> Path:
    """``path``, if writing a regular file there replaces nothing else; else ``NotAFile``.

    A path that does not exist yet, or cannot even be looked at, is left for the
    writer to report in its own words.
    """
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(path, st.st_mode)
    return Path(path)


def check_distinct(outputs: Mapping[str, str | os.PathLike[str]]) -> None:
    """Refuse two outputs of one command that are the same file (``--plot`` = ``--out``).

    ``outputs`` maps what each is (an option's name) to its path. Paths are
    compared after resolving symbolic links and ``..``, so two spellings of one
    file clash too.
    """
    seen: dict[str, str] = {}
    for what, path in outputs.items():
        key = os.path.normcase(os.path.realpath(os.fspath(path)))
        if key in seen:
            raise ConfigError(
                f"{what} {os.fspath(path)!r} is the same file as {seen[key]}: one output "
                "would overwrite the other; give them different names"
            )
        seen[key] = f"{what} {os.fspath(path)!r}"
