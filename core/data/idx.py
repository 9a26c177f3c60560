"""Our reader for IDX files, the format MNIST and Fashion-MNIST are published in.

An IDX file is a magic number ``00 00 TT DD`` (``TT`` the element type, ``DD`` the
number of dimensions), ``DD`` big-endian uint32 sizes, then the elements in C order,
big-endian; the published files are gzip-compressed. The reader takes either form
(gzip is recognised by its magic bytes ``1f 8b``, not by the file name).

A damaged or hostile file must never crash the program or exhaust memory, so every
size in the header is checked against the bytes that can actually be there before
anything is allocated (for gzip: no more than deflate's maximum expansion of the
compressed size) and against the memory available, the data is read with bounded
reads, and the file must end exactly where the header says. Only regular files are
opened: a FIFO would block the reader and a device has no end. Every problem is a
:class:`~core.errors.DataError` that names the file and what is wrong with it.
"""

from __future__ import annotations

import io
import math
import os
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from core.errors import DataError
from core.guard.memory import MAX_DEFLATE_RATIO, require
from core.guard.paths import open_regular

#: IDX element types: code -> (name used in messages, big-endian dtype).
TYPES: dict[int, tuple[str, np.dtype]] = {
    0x08: ("unsigned byte", np.dtype(np.uint8)),
    0x09: ("signed byte", np.dtype(np.int8)),
    0x0B: ("short", np.dtype(">i2")),
    0x0C: ("int", np.dtype(">i4")),
    0x0D: ("float", np.dtype(">f4")),
    0x0E: ("double", np.dtype(">f8")),
}

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class _Problem(Exception):
    """What is wrong with the file being read; becomes a DataError naming the file."""


def read_idx(
    path: str | os.PathLike[str], *, ndim: int | tuple[int, ...] | None = None
) -> np.ndarray:
    """Read one IDX file (raw or gzip) into an array of its declared shape and type.

    ``ndim`` is the number of dimensions the caller accepts (e.g. 1 for labels,
    ``(3, 4)`` for images); any other count is refused. Multi-byte types are
    returned in native byte order. The array's memory is checked against what is
    available before it is allocated.
    """
    return _with_stream(path, lambda stream: _read_data(stream, _header(stream, ndim)))


def read_idx_header(
    path: str | os.PathLike[str], *, ndim: int | tuple[int, ...] | None = None
) -> tuple[np.dtype, tuple[int, ...]]:
    """The element type and shape an IDX file declares, checked as :func:`read_idx` does,
    without reading its data (a dataset's memory is estimated from these)."""
    head = _with_stream(path, lambda stream: _header(stream, ndim))
    return head.dtype, head.shape


def _with_stream(path: str | os.PathLike[str], parse: Any) -> Any:
    path = Path(path)
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise _Problem("empty file (0 bytes): not an IDX file")
            gzipped = f.read(2) == GZIP_MAGIC
            f.seek(0)
            stream = _Inflater(f, size) if gzipped else _Plain(f, size)
            return parse(stream)
    except _Problem as e:
        raise DataError(f"{path}: {e}") from None
    except MemoryError:
        raise DataError(f"{path}: too large to load into memory") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from e


class _Header(NamedTuple):
    dtype: np.dtype
    shape: tuple[int, ...]
    length: int  # bytes of the header itself
    described: str  # the header in words, for messages


def _header(stream: _Plain | _Inflater, ndim: int | tuple[int, ...] | None) -> _Header:
    head = stream.read(4)
    if len(head) < 4:
        raise _Problem(
            f"truncated at byte {len(head)}{stream.where}: expected at least a 4-byte header"
            f"{stream.why_short}"
        )
    if head[:2] != b"\x00\x00":
        raise _Problem(
            f"bad magic number {head.hex(' ')}: an IDX file starts with 00 00 <type> <dims>"
        )
    code, n_dims = head[2], head[3]
    if code not in TYPES:
        known = ", ".join(f"0x{c:02X} ({name})" for c, (name, _) in TYPES.items())
        raise _Problem(f"unknown type code 0x{code:02X} in the header; IDX knows {known}")
    accepted = (ndim,) if isinstance(ndim, int) else ndim
    if n_dims == 0 or (accepted is not None and n_dims not in accepted):
        wanted = " or ".join(map(str, accepted)) if accepted else "at least 1"
        raise _Problem(f"header declares {n_dims} dimensions, expected {wanted}")
    header_len = 4 + 4 * n_dims
    raw_dims = stream.read(4 * n_dims)
    if len(raw_dims) < 4 * n_dims:
        raise _Problem(
            f"truncated at byte {4 + len(raw_dims)}{stream.where}: expected a "
            f"{header_len}-byte header{stream.why_short}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
    if 0 in shape:
        raise _Problem(f"header declares an empty array of shape {shape}")
    name, dtype = TYPES[code]
    described = f"{header_len}-byte header + {' x '.join(map(str, shape))} {name}s"
    stream.check_fits(header_len + math.prod(shape) * dtype.itemsize, described)
    return _Header(dtype, shape, header_len, described)


def _read_data(stream: _Plain | _Inflater, head: _Header) -> np.ndarray:
    dtype, shape, header_len = head.dtype, head.shape, head.length
    n_bytes = math.prod(shape) * dtype.itemsize
    total = header_len + n_bytes
    # Multi-byte types are converted to native order: a second copy.
    require(n_bytes * (1 if dtype.itemsize == 1 else 2), head.described, error=_Problem)
    data = np.empty(n_bytes, dtype=np.uint8)
    got = stream.readinto(data.data)
    if got < n_bytes:
        raise _Problem(
            f"truncated at byte {header_len + got:,}{stream.where}: expected {total:,} bytes "
            f"({head.described}){stream.why_short}"
        )
    stream.check_end(total)
    array = data.view(dtype).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


class _Plain:
    """An uncompressed file: its length is known up front, so sizes are checked exactly."""

    where = ""
    why_short = ""

    def __init__(self, f: io.BufferedReader, size: int) -> None:
        self._f = f
        self._size = size

    def read(self, n: int) -> bytes:
        return self._f.read(n)

    def check_fits(self, total: int, described: str) -> None:
        if total > self._size:
            raise _Problem(
                f"truncated at byte {self._size:,}: expected {total:,} bytes ({described})"
            )

    def readinto(self, out: memoryview) -> int:
        done = 0
        while done < len(out):
            n = self._f.readinto(out[done : done + _CHUNK])
            if not n:
                break
            done += n
        return done

    def check_end(self, total: int) -> None:
        if self._size > total:
            raise _Problem(
                f"{self._size - total:,} bytes longer than its header says "
                f"(expected {total:,} bytes, found {self._size:,})"
            )


class _Inflater:
    """A gzip file decompressed on the fly, never more than asked for.

    The uncompressed length is unknown until the end, so sizes are first checked
    against the most the compressed bytes could expand to, and then the data is
    inflated into a buffer of exactly the declared size.
    """

    where = " of the uncompressed data"

    def __init__(self, f: io.BufferedReader, size: int) -> None:
        self._f = f
        self._size = size
        self._z = zlib.decompressobj(wbits=31)
        self._pending = b""  # compressed bytes read from the file but not yet inflated
        self._file_done = False
        self._produced = 0
        self.why_short = ""

    def check_fits(self, total: int, described: str) -> None:
        limit = self._size * MAX_DEFLATE_RATIO
        if total > limit:
            raise _Problem(
                f"header claims {total:,} bytes ({described}), more than a {self._size:,}-byte "
                f"gzip file can hold: refusing to read it"
            )

    def read(self, n: int) -> bytes:
        buf = bytearray(n)
        got = self.readinto(memoryview(buf))
        return bytes(buf[:got])

    def readinto(self, out: memoryview) -> int:
        done = 0
        while done < len(out):
            if self._z.eof and not self._next_member():
                break
            if not self._pending and not self._refill():
                self.why_short = "; the gzip stream ends early (file cut short?)"
                break
            try:
                piece = self._z.decompress(self._pending, len(out) - done)
            except zlib.error as e:
                raise _Problem(self._broken(e)) from None
            self._produced += len(piece)
            self._pending = self._z.unused_data if self._z.eof else self._z.unconsumed_tail
            out[done : done + len(piece)] = piece
            done += len(piece)
        return done

    def check_end(self, total: int) -> None:
        """After the declared data: nothing more may follow, and the stream must be whole."""
        if self.read(1):
            raise _Problem(f"the data is longer than its header says (expected {total:,} bytes)")
        if not self._z.eof:
            raise _Problem("the gzip stream ends before its end marker (file cut short?)")

    def _refill(self) -> bool:
        if self._file_done:
            return False
        self._pending = self._f.read(_CHUNK)
        self._file_done = not self._pending
        return bool(self._pending)

    def _next_member(self) -> bool:
        """After one gzip member ends: start the next one, or report the clean end."""
        while len(self._pending) < 2 and self._refill_append():
            pass
        if not self._pending:
            return False
        if self._pending[:2] != GZIP_MAGIC:
            raise _Problem("unexpected bytes after the end of the gzip stream")
        self._z = zlib.decompressobj(wbits=31)
        return True

    def _refill_append(self) -> bool:
        rest = self._pending
        if not self._refill():
            self._pending = rest
            return False
        self._pending = rest + self._pending
        return True

    def _broken(self, e: zlib.error) -> str:
        text = str(e).split(": ", 1)[-1]
        if not self._produced:
            return f"not a valid gzip stream ({text})"
        if "data check" in text:
            return "gzip stream broken: its checksum does not match the data"
        return f"gzip stream broken after {self._produced:,} bytes of data ({text})"
