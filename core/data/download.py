"""Downloads of the official files, accepted only when their SHA-256 matches the pin.

A file is fetched (with pooch) to a hidden temporary name in the cache folder itself,
hashed, and renamed to its real name only if the hash is the pinned one, so the cache
never holds a half-written or unverified file: an interrupted transfer, a refused
connection or a wrong file all leave the folder as it was. Each mirror is tried in
turn; the failures are returned so that the caller can say what was tried.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from core.data.files import sha256_file
from core.errors import DataError

#: ``progress(file_name, done_bytes, total_bytes)``; ``total_bytes`` is 0 when the
#: server does not say.
Progress = Callable[[str, int, int], None]

_CHUNK = 1 << 16
_TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes
_STALE_SECONDS = 3600


class ChecksumMismatch(DataError):
    """A downloaded file was not the file we pinned; it has been discarded."""


def mirror_urls(mirrors: Sequence[str], name: str, dataset: str) -> list[str]:
    """The URL of ``name`` under each mirror; ``{dataset}`` in a mirror is the dataset key."""
    urls = []
    for base in mirrors:
        base = base.replace("{dataset}", dataset)
        urls.append(base + ("" if base.endswith("/") else "/") + name)
    return urls


def fetch(
    name: str,
    sha256: str,
    urls: Sequence[str],
    folder: Path,
    progress: Progress | None = None,
) -> tuple[Path | None, list[tuple[str, DataError]]]:
    """Download ``name`` into ``folder`` from the first URL that gives the pinned file.

    Returns the verified file (or None) and, for each failed attempt, its URL and
    why. A checksum mismatch is a failed attempt too: the next mirror may have the
    right file.
    """
    _remove_leftovers(folder)
    failures: list[tuple[str, DataError]] = []
    for url in urls:
        try:
            return _fetch_one(url, name, sha256, folder, progress), failures
        except DataError as e:
            failures.append((url, e))
    return None, failures


def _remove_leftovers(folder: Path) -> None:
    """Delete partial downloads that a killed process left behind (old enough to be dead).

    Transfers in progress write pooch's ``tmp*`` files, which become our ``.part``
    files before the checksum is checked; anything of either kind untouched for an
    hour belongs to no running download.
    """
    if not folder.is_dir():
        return
    cutoff = time.time() - _STALE_SECONDS
    for path in folder.iterdir():
        if not (path.name.startswith("tmp") or path.name.endswith(".part")):
            continue
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()


def _fetch_one(url: str, name: str, sha256: str, folder: Path, progress: Progress | None) -> Path:
    import pooch
    import requests

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the cache folder {folder}: {e.strerror or e}") from e
    part = folder / f".{name}.{secrets.token_hex(4)}.part"
    try:
        with _quiet(pooch.get_logger()):
            pooch.retrieve(url, known_hash=None, fname=part.name, path=folder,
                           downloader=_Streamer(name, progress))  # fmt: skip
        actual = sha256_file(part)
        if actual != sha256.lower():
            raise ChecksumMismatch(
                f"SHA-256 of the downloaded {name} is {actual}, expected {sha256}: "
                "not the official file, discarded"
            )
        target = folder / name
        os.replace(part, target)
        return target
    except requests.exceptions.HTTPError as e:
        status = e.response.status_code if e.response is not None else "error"
        raise DataError(f"HTTP {status}") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
        raise DataError(_connection_problem(e)) from None
    except requests.exceptions.Timeout:
        raise DataError("the server stopped answering (timed out)") from None
    except requests.exceptions.RequestException as e:
        raise DataError(f"download failed ({type(e).__name__}: {e})") from None
    except OSError as e:
        raise DataError(f"cannot write into {folder}: {e.strerror or e}") from None
    except ValueError as e:  # a URL that cannot be parsed
        raise DataError(f"cannot download: {e}") from None
    finally:
        part.unlink(missing_ok=True)


def _connection_problem(e: Exception) -> str:
    text = str(e)
    if "IncompleteRead" in text or "Connection broken" in text:
        return "the connection closed before the whole file arrived"
    if "refused" in text.lower():
        return "connection refused (server down?)"
    if "resolve" in text.lower() or "Name or service" in text:
        return "host not found (offline?)"
    return "cannot connect (offline or server down)"


def pins_with(pins: Mapping[str, str], overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The pinned hashes, some of them replaced (a private mirror that recompressed files)."""
    unknown = sorted(set(overrides or ()) - set(pins))
    if unknown:
        raise DataError(f"pins: {', '.join(unknown)} is not one of the files {', '.join(pins)}")
    return {**pins, **{k: v.lower() for k, v in (overrides or {}).items()}}


class _Streamer:
    """A pooch downloader that streams over HTTP and reports exact byte counts.

    pooch calls it with the temporary file to write; it follows the transfer with
    ``progress(name, done, total)``, ``total`` being 0 when the server does not say.
    """

    def __init__(self, name: str, progress: Progress | None) -> None:
        self._name = name
        self._progress = progress

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        import requests

        with requests.get(url, stream=True, timeout=_TIMEOUT) as response:
            response.raise_for_status()
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            with open(output_file, "wb") as out:
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if self._progress is not None:
                        self._progress(self._name, done, max(total, done) if total else 0)


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Keep pooch's own log lines off the terminal: we report downloads ourselves."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
