"""Every reader of outside bytes, fed generated input: only our typed errors ever escape.

The readers are the IDX parser, the checkpoint loader, ``Config.from_strings``, the
two command lines (the headless one and the window's) and the window's settings
file (QSettings, INI). Each is driven with
inputs built to be *almost* right (a real file with a few bytes changed, a header
with one size too large, a setting with a near-valid value), which is where a
reader's assumptions break. A result is either a value that passes its own
checks or an error derived from :class:`~core.errors.BackpropError`; a bare
ValueError, KeyError, MemoryError, zipfile.BadZipFile... is a bug.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.data.idx import TYPES, read_idx
from core.errors import CheckpointError, ConfigError, DataError
from core.training import checkpoint
from core.training.config import Config
from tests.reliability.conftest import ROOT, fuzz_settings

# -- IDX --------------------------------------------------------------------------
# Sizes a hostile or damaged header may hold: small true ones, and ones far too large.
_DIM = st.one_of(
    st.integers(0, 9),
    st.integers(0, 2**32 - 1),
    st.sampled_from([10**9, 2**31, 2**32 - 1, 60_000, 784]),
)
_CODE = st.one_of(st.sampled_from(sorted(TYPES)), st.integers(0, 255))


@st.composite
def idx_files(draw) -> tuple[bytes, bytes | None]:
    """(file bytes, the valid payload they were made from or None): raw or gzip, maybe damaged."""
    kind = draw(st.sampled_from(["valid", "header", "noise"]))
    if kind == "valid":
        code = draw(st.sampled_from(sorted(TYPES)))
        shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
        dtype = TYPES[code][1]
        n = math.prod(shape) * dtype.itemsize
        body = draw(st.binary(min_size=n, max_size=n))
        payload = bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body
    elif kind == "header":
        magic = draw(st.one_of(st.just(b"\x00\x00"), st.binary(min_size=2, max_size=2)))
        code = draw(_CODE)
        dims = draw(st.lists(_DIM, min_size=0, max_size=5))
        n_dims = draw(st.one_of(st.just(len(dims)), st.integers(0, 255)))
        head = magic + bytes([code, n_dims]) + struct.pack(f">{len(dims)}I", *dims)
        payload = head + draw(st.binary(max_size=300))
    else:
        payload = draw(st.binary(max_size=400))
    data = payload
    if draw(st.booleans()):
        data = gzip.compress(payload, mtime=0)
        if draw(st.booleans()):  # a second member, as concatenated gzip files have
            data += gzip.compress(draw(st.binary(max_size=40)), mtime=0)
    # Damage: cut, flip bits, or append stray bytes.
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    if cut is not None:
        data = data[:cut]
    flips = draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=3))
    if data and flips:
        b = bytearray(data)
        for at, mask in flips:
            b[at % len(b)] ^= mask
        data = bytes(b)
    data += draw(st.one_of(st.just(b""), st.binary(min_size=1, max_size=8)))
    return data, payload if kind == "valid" and _decoded(data) == payload else None


def _decoded(data: bytes) -> bytes | None:
    """What one whole gzip member inflates to (the file itself when raw); None otherwise.

    Bytes after the member (even zero padding, which gzip(1) tolerates) make a file
    that the reader refuses on purpose, so they count as damage here.
    """
    if data[:2] != b"\x1f\x8b":
        return data
    z = zlib.decompressobj(wbits=31)
    try:
        out = z.decompress(data)
    except zlib.error:
        return None
    return out if z.eof and not z.unused_data else None


_NDIM = st.sampled_from([None, 1, 3, (3, 4), (1, 2, 3, 4)])


def check_idx(folder: Path, case: tuple[bytes, bytes | None], ndim) -> None:
    data, intact = case
    path = folder / "fuzz-idx3-ubyte"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        out = read_idx(path, ndim=ndim)
    except DataError as e:
        assert str(path) in str(e)  # every message names the file
        out = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # Never more memory than the file could really hold (deflate expands at most ~1032x).
    assert peak <= 2 * 1032 * len(data) + (4 << 20), f"peak {peak:,} B for {len(data):,} B"
    if out is not None:
        head = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data  # every member
        n_dims = head[3]
        shape = struct.unpack(f">{n_dims}I", head[4 : 4 + 4 * n_dims])
        assert out.shape == shape and out.dtype.isnative
        assert out.dtype == TYPES[head[2]][1].newbyteorder("=")
        accepted = (ndim,) if isinstance(ndim, int) else ndim
        assert accepted is None or out.ndim in accepted
    elif intact is not None:
        # A well-formed file is refused only for its number of dimensions.
        accepted = (ndim,) if isinstance(ndim, int) else ndim
        assert accepted is not None and intact[3] not in accepted


@fuzz_settings(slow=False, normal=400)
@given(case=idx_files(), ndim=_NDIM)
def test_idx_reader_fuzz(tmp_path, case, ndim):
    check_idx(tmp_path, case, ndim)


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(case=idx_files(), ndim=_NDIM)
def test_idx_reader_fuzz_long(tmp_path, case, ndim):
    check_idx(tmp_path, case, ndim)


_HUGE_CHILD = r"""
import json, resource, struct, sys, gzip
from pathlib import Path
from core.data.idx import read_idx
from core.errors import DataError
folder = Path(sys.argv[1])
cases = {}
for name, code, dims in [("images", 8, (10**9, 28, 28)), ("bytes", 8, (10**9,)),
                         ("doubles", 0x0E, (10**9, 28, 28)), ("labels", 8, (10**9,))]:
    head = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    body = bytes(200_000)
    (folder / f"{name}.raw").write_bytes(head + body)
    (folder / f"{name}.gz").write_bytes(gzip.compress(head + body, mtime=0))
# Address space: what this process has now plus 64 MB. A 10^9-element buffer cannot fit.
vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (vm + (64 << 20), vm + (64 << 20)))
out = {}
for path in sorted(folder.iterdir()):
    try:
        read_idx(path)
        out[path.name] = "read"
    except DataError as e:
        out[path.name] = str(e)
    except BaseException as e:
        out[path.name] = f"ESCAPED {type(e).__name__}: {e}"
print(json.dumps(out))
"""


def test_a_billion_image_header_is_refused_without_allocating_under_a_memory_limit(tmp_path):
    """In a child whose address space has 64 MB to spare, each claim is refused by reasoning
    about the file's size, not by running out of memory."""
    out = subprocess.run(
        [sys.executable, "-c", _HUGE_CHILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert len(results) == 8
    for name, message in results.items():
        assert not message.startswith("ESCAPED"), f"{name}: {message}"
        assert "too large to load into memory" not in message, f"{name} was allocated: {message}"
        assert (
            ("truncated at byte" in message)
            if name.endswith(".raw")
            else ("refusing to read it" in message)
        ), f"{name}: {message}"


# -- checkpoints --------------------------------------------------------------------
def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_WEIRD_ARRAYS = st.one_of(
    st.builds(
        lambda s, d: np.zeros(s, dtype=d),
        st.lists(st.integers(0, 70), max_size=3).map(tuple),
        st.sampled_from(["f4", "f8", "f2", "i8", "u1", "?", "c8", "U3", "S2", "V4"]),
    ),
    st.builds(lambda v: np.asarray(v), st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda v: np.asarray(v), st.floats()),
    st.just(np.array([[np.nan]], dtype=np.float32)),
)


def _meta_mutation(draw, meta: dict) -> dict:
    """The checkpoint's JSON with one value (at any depth) replaced by arbitrary JSON."""
    meta = json.loads(json.dumps(meta))
    parent, key = meta, draw(st.sampled_from(sorted(meta)))
    for _ in range(draw(st.integers(0, 3))):
        child = parent[key]
        if not isinstance(child, (dict, list)) or not child:
            break
        parent = child
        key = draw(st.sampled_from(list(child) if isinstance(child, dict) else range(len(child))))
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = draw(_JSON)
    return meta


@st.composite
def checkpoint_files(draw, base: dict[str, np.ndarray], raw: bytes) -> bytes:
    """A real checkpoint changed at the byte, array, JSON or zip level."""
    level = draw(st.sampled_from(["bytes", "arrays", "meta", "zip"]))
    if level == "bytes":
        data = bytearray(raw[: draw(st.integers(0, len(raw)))])
        for at, mask in draw(
            st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 255)), max_size=4)
        ):
            if data:
                data[at % len(data)] ^= mask
        return bytes(data)
    arrays = dict(base)
    if level == "arrays":
        for _ in range(draw(st.integers(1, 3))):
            key = draw(st.one_of(st.sampled_from(sorted(arrays)), st.text(min_size=1, max_size=8)))
            if key in arrays and draw(st.booleans()):
                del arrays[key]
            else:
                arrays[key] = draw(_WEIRD_ARRAYS)
    elif level == "meta":
        meta = json.loads(base["meta"].tobytes())
        text = json.dumps(_meta_mutation(draw, meta))
        arrays["meta"] = np.frombuffer(text.encode(), dtype=np.uint8)
    if level == "zip":
        return _zip_level(draw, arrays)
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _zip_level(draw, arrays: dict[str, np.ndarray]) -> bytes:
    """Members a hand-made archive may hold: no .npy suffix or no .npy at all, deflated, or
    with a header that claims far more than the member holds."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for key, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a, allow_pickle=False)
            member = buf.getvalue()
            how = draw(st.sampled_from(["plain", "plain", "deflate", "nosuffix", "lying", "bytes"]))
            if how == "lying":  # the header claims a far larger array than the member holds
                claim = draw(st.sampled_from([10**6, 10**9, 2**40]))
                head = {"descr": "<f8", "fortran_order": False, "shape": (claim,)}
                buf = io.BytesIO()
                np.lib.format.write_array_header_1_0(buf, head)
                member = buf.getvalue() + bytes(64)
            if how == "bytes":  # a member that is no .npy at all
                member = draw(st.binary(max_size=64))
            name = key if how in ("nosuffix", "bytes") else f"{key}.npy"
            kind = zipfile.ZIP_DEFLATED if how == "deflate" else zipfile.ZIP_STORED
            z.writestr(name, member, compress_type=kind)
    return out.getvalue()


def check_checkpoint(folder: Path, data: bytes) -> None:
    path = folder / "fuzz.npz"
    path.write_bytes(data)
    try:
        ck = checkpoint.load(path)
    except CheckpointError as e:
        assert str(path) in str(e)
        return
    # Whatever loads is usable: shapes follow the sizes, numbers are finite.
    sizes = ck.model.sizes
    for i, (W, b) in enumerate(zip(ck.model.params[::2], ck.model.params[1::2], strict=True)):
        assert W.shape == (sizes[i], sizes[i + 1]) and b.shape == (sizes[i + 1],)
        assert np.isfinite(W).all() and np.isfinite(b).all()
    assert isinstance(ck.history, list) and isinstance(ck.config, Config)
    ck.model.predict(np.zeros((2, sizes[0]), dtype=ck.model.dtype))


@pytest.fixture(scope="module")
def ckpt_base(small_checkpoint):
    return _arrays(small_checkpoint), small_checkpoint.read_bytes()


@fuzz_settings(slow=False, normal=300)
@given(data=st.data())
def test_checkpoint_loader_fuzz(tmp_path, ckpt_base, data):
    check_checkpoint(tmp_path, data.draw(checkpoint_files(*ckpt_base)))


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(data=st.data())
def test_checkpoint_loader_fuzz_long(tmp_path, ckpt_base, data):
    check_checkpoint(tmp_path, data.draw(checkpoint_files(*ckpt_base)))


# -- settings from strings ------------------------------------------------------------
_FIELDS = [f for f in Config.__dataclass_fields__]
_NUMBERISH = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e999",
            "-0",
            "0x10",
            "1_000",
            "１２",
            "٣",
            "1e-400",
            "9" * 5000,
            "",
            " ",
            "128,",
            ",,",
            "64x64",
            "3.0",
            "1,2,3,4,5,6,7,8,9",
            "0.5 ",
            "\x00",
            "true",
            "None",
            "ADAM",
            "Leaky-ReLU",
        ]
    ),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.lists(st.integers(-5, 10**5), max_size=10).map(lambda v: ",".join(map(str, v))),
    st.text(max_size=20),
)
_SETTINGS = st.dictionaries(
    st.one_of(st.sampled_from(_FIELDS), st.text(max_size=10)), _NUMBERISH, max_size=6
)


def check_from_strings(values: dict[str, str]) -> None:
    try:
        config = Config.from_strings(values)
    except ConfigError as e:
        assert str(e)
        return
    assert Config.from_dict(config.to_dict()) == config  # what was accepted is valid
    for name in values:
        if name == "hidden":
            assert all(1 <= h <= 8192 for h in config.hidden)
        elif name in ("learning_rate", "momentum", "l2", "dropout", "val_fraction"):
            assert math.isfinite(getattr(config, name))


@fuzz_settings(slow=False, normal=400)
@given(values=_SETTINGS)
def test_config_from_strings_fuzz(values):
    check_from_strings(values)


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(values=_SETTINGS)
def test_config_from_strings_fuzz_long(values):
    check_from_strings(values)


@fuzz_settings(slow=False, normal=200)
@given(values=st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=5))
def test_config_from_dict_fuzz(values):
    """The checkpoint's JSON reaches ``Config.from_dict``: any JSON value, a ConfigError."""
    with contextlib.suppress(ConfigError):
        Config.from_dict(values)


# -- the command lines ---------------------------------------------------------------------
_FLAGS = [
    "--dataset",
    "--data-path",
    "--hidden",
    "--activation",
    "--init",
    "--optimizer",
    "--lr",
    "--learning-rate",
    "--momentum",
    "--batch-size",
    "--batch",
    "--epochs",
    "--seed",
    "--augment",
    "--l2",
    "--dropout",
    "--schedule",
    "--min-lr-ratio",
    "--val-fraction",
    "--dtype",
    "--preset",
    "--resume",
    "--evaluate",
    "--headless",
    "--no-pictures",
    "-o",
    "--output",
    "evaluate",
    "train",
    "--",
    "-x",
]
_TOKENS = st.lists(
    st.one_of(
        st.sampled_from(_FLAGS),
        _NUMBERISH,
        st.sampled_from(
            [
                "adam",
                "relu",
                "affine",
                "seed-adam",
                "cosine",
                "float64",
                "=",
                "--lr=0.1",
                "--hidden=0",
            ]
        ),
    ),
    max_size=10,
)


def check_cli(folder: Path, tokens: list[str]) -> None:
    from core.cli import main

    # Whatever was typed, the data cannot be found and the output stays in our folder:
    # the run ends at the door (exit 1 or 2) without training or writing elsewhere.
    missing = str(folder / "no such data")
    argv = [*tokens, "--dataset", missing, "--data-path", missing, "--output", str(folder / "out")]
    if tokens[:1] == ["evaluate"] or "--evaluate" in tokens:
        argv = tokens  # evaluate takes its checkpoint from the command line
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    text = err.getvalue()
    assert code in (0, 1, 2), (argv, code, text)
    assert "Traceback" not in text
    if code:  # argparse echoes a bad token as typed, line breaks included
        assert "error" in text, (argv, text)
    else:  # only a help text ends well without data
        assert "usage:" in out.getvalue()


@fuzz_settings(slow=False, normal=150)
@given(tokens=_TOKENS)
def test_command_line_fuzz(tmp_path, tokens):
    check_cli(tmp_path, tokens)


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(tokens=_TOKENS)
def test_command_line_fuzz_long(tmp_path, tokens):
    check_cli(tmp_path, tokens)


def check_window_args(tokens: list[str]) -> None:
    from gui.app import build_config, parse_args

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            config = build_config(parse_args(tokens))
        except SystemExit as e:  # argparse: usage and one error line
            assert e.code in (0, 2)
            return
        except ConfigError:
            return
    assert isinstance(config, Config)


@fuzz_settings(slow=False, normal=150)
@given(tokens=_TOKENS)
def test_window_command_line_fuzz(tokens):
    check_window_args(tokens)


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(tokens=_TOKENS)
def test_window_command_line_fuzz_long(tokens):
    check_window_args(tokens)


# -- the window's settings file (QSettings, INI) ---------------------------------------------
_INI_VALUE = st.one_of(
    _NUMBERISH,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.binary(max_size=40).map(lambda b: "@ByteArray(" + b.hex() + ")"),
    st.just("@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x1d)"),
    st.just("a, b, c"),
)
_INI_KEYS = {
    "run": st.one_of(st.sampled_from(_FIELDS), st.text(max_size=8)),
    "window": st.sampled_from(["geometry", "state"]),
    "files": st.just("last_folder"),
    "view": st.just("theme"),
}


@st.composite
def settings_files(draw) -> bytes:
    """An INI settings file as a hand edit, an old version or a damaged disk might leave it."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    lines = []
    for section in draw(st.lists(st.sampled_from(sorted(_INI_KEYS)), max_size=6)):
        lines.append(f"[{section}]")
        for _ in range(draw(st.integers(0, 5))):
            key = draw(_INI_KEYS[section]).replace("\n", "").replace("=", "")
            value = draw(_INI_VALUE).replace("\n", "\\n")
            lines.append(f"{key}={value}")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def check_settings(folder: Path, data: bytes) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMainWindow

    from core.errors import SettingsError
    from gui.settings import THEMES, Settings

    path = folder / "studio.ini"
    path.write_bytes(data)
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    default = Config(dataset="digits")
    config = settings.load_config(default)  # reading settings never raises
    assert isinstance(config, Config)
    assert Config.from_dict(config.to_dict()) == config
    window = QMainWindow()
    try:
        settings.restore_window(window)
    finally:
        window.deleteLater()
    assert settings.theme in THEMES and settings.last_folder.is_dir()
    assert all(isinstance(e, SettingsError) for e in settings.errors)


@fuzz_settings(slow=False, normal=150)
@given(data=settings_files())
@example(data=b"[files]\nlast_folder=" + b"9" * 5000)  # once raised ENAMETOOLONG
def test_settings_file_fuzz(qapp, tmp_path, data):
    check_settings(tmp_path, data)


@pytest.mark.slow
@fuzz_settings(slow=True)
@given(data=settings_files())
def test_settings_file_fuzz_long(qapp, tmp_path, data):
    check_settings(tmp_path, data)
