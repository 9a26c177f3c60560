"""Standard output and error that may close, fill up or lose their reader mid-run.

``python main.py train ... | head -1`` closes the pipe after one line; a terminal
may go away; output redirected to a full disk fails. None of that is a reason to
lose a run: a :class:`SafeStream` passes text through until the first failure,
records it and drops everything after it, so printing never raises and training,
saving and the exit code go on as if the output had been read.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class SafeStream:
    """A text stream over ``stream`` (which may be None: closed at start) that never raises.

    Lines are flushed as they are written, so what was printed before a failure
    has reached the stream. ``failure`` is the first error (None while all is well).
    """

    def __init__(self, stream: TextIO | None, name: str) -> None:
        self.stream = stream
        self.name = name
        self.failure: OSError | ValueError | None = None
        self.on_failure: Any = None  # called once with this stream when it fails

    @property
    def working(self) -> bool:
        return self.stream is not None and self.failure is None

    def write(self, text: str) -> int:
        if self.working:
            assert self.stream is not None
            try:
                self.stream.write(text)
                if "\n" in text:
                    self.stream.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if self.working:
            assert self.stream is not None
            try:
                self.stream.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def _fail(self, exc: OSError | ValueError) -> None:
        self.failure = exc
        if self.on_failure is not None:
            self.on_failure(self)

    def isatty(self) -> bool:
        if not self.working:
            return False
        assert self.stream is not None
        try:
            return self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self.stream is None:
            raise OSError(errno.EBADF, f"{self.name} is closed")
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:
        return getattr(self.stream, "errors", None)

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False

    def describe_failure(self) -> str:
        """The failure in words, e.g. ``"No space left on device"``."""
        exc = self.failure
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror
        return str(exc) or type(exc).__name__


def broken_pipe(stream: SafeStream) -> bool:
    """Whether ``stream`` failed because its reader went away (``| head``)."""
    return isinstance(stream.failure, BrokenPipeError)


@contextlib.contextmanager
def safe_std_streams() -> Iterator[tuple[SafeStream, SafeStream]]:
    """Put :class:`SafeStream` over ``sys.stdout`` and ``sys.stderr`` for a command.

    When standard output fails other than by a closed pipe, one warning goes to
    standard error. The originals come back at the end unless one of them failed:
    the interpreter would then try to flush it again at exit and complain.
    """
    out = SafeStream(sys.stdout, "standard output")
    err = SafeStream(sys.stderr, "standard error")

    def warn(stream: SafeStream) -> None:
        if not broken_pipe(stream):
            err.write(
                f"warning: {stream.name}: {stream.describe_failure()}; the rest of the "
                "output is dropped, the run goes on\n"
            )

    out.on_failure = warn
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        if out.failure is None and err.failure is None:
            sys.stdout, sys.stderr = saved
