"""Small dataset files written the way the real ones are, and a loopback HTTP server.

The writers here encode IDX and CIFAR-10 binary records independently of the readers
under test (plain ``struct`` and NumPy), so a round trip checks the readers against
the published formats, not against themselves.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}  # fmt: skip
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` encoded as an IDX file: magic, big-endian sizes, big-endian data."""
    big = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    head = struct.pack(">BBBB", 0, 0, IDX_CODES[big], array.ndim)
    head += struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(big).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_mnist(
    n_train: int = 120,
    n_test: int = 40,
    shape: tuple[int, ...] = (6, 5),
    classes: int = 10,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Random byte images with balanced labels, by role (as in the four IDX files)."""
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % classes).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % classes).astype(np.uint8),
    }


def idx_files(arrays: dict[str, np.ndarray], compress: bool = True) -> dict[str, bytes]:
    """The four files' bytes under their official names (``.gz`` when compressed)."""
    if not compress:
        return {IDX_NAMES[role]: idx_bytes(a) for role, a in arrays.items()}
    return {IDX_NAMES[role] + ".gz": gz(idx_bytes(a)) for role, a in arrays.items()}


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def cifar_batch(images_chw: np.ndarray, labels: np.ndarray) -> bytes:
    """CIFAR-10 binary records: a label byte, then red, green and blue planes of 32x32."""
    out = io.BytesIO()
    for image, label in zip(images_chw, labels, strict=True):
        out.write(bytes([int(label)]))
        out.write(image.astype(np.uint8).tobytes(order="C"))
    return out.getvalue()


def fake_cifar(per_batch: int = 6, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Six small batches of random (3, 32, 32) images: batch file name -> (images, labels)."""
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    return {
        name: (
            rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8),
            rng.integers(0, 10, per_batch).astype(np.uint8),
        )
        for name in names
    }


CIFAR_META = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"


def cifar_files(batches: dict[str, tuple[np.ndarray, np.ndarray]], meta: bytes | None = CIFAR_META
                ) -> dict[str, bytes]:  # fmt: skip
    files = {name: cifar_batch(*pair) for name, pair in batches.items()}
    if meta is not None:
        files["batches.meta.txt"] = meta
    return files


def tar_gz(files: dict[str, bytes], folder: str = "cifar-10-batches-bin") -> bytes:
    """A gzip-compressed tar holding ``files`` under ``folder/``, as the official archive."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 serving ``files`` (name -> bytes) from its root.

    ``requests`` counts GETs per file name; names in ``cut`` are answered with their
    full Content-Length but only half the bytes, then the connection is closed; names
    in ``unsized`` are sent without a Content-Length (the end of the body is the end
    of the connection).
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: Counter[str] = Counter()
        self.cut: set[str] = set()
        self.unsized: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                server.requests[name] += 1
                data = server.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if name in server.unsized:
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if name in server.cut:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                """Keep the test output quiet."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def isolate_data(monkeypatch, cache: Path) -> None:
    """No data folder or mirror from the outside, the private cache ``cache``, and
    loopback traffic kept off any proxy: what a dataset test finds is what it wrote."""
    monkeypatch.delenv("BACKPROP_DATA", raising=False)
    monkeypatch.delenv("BACKPROP_MIRROR", raising=False)
    monkeypatch.setenv("BACKPROP_CACHE", str(cache))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
