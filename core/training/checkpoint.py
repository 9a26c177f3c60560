"""Checkpoints: one ``.npz`` per model that is safe to write and safe to read.

Layout (every entry a plain array, so loading never needs pickle)::

    format_version   int64 scalar      the layout's version (see FORMAT_VERSION)
    meta             uint8 (n,)        UTF-8 JSON: config, history, changes, epoch,
                                       step, branch (of a fork), model and optimiser
                                       description
    param.W1 ...     the weights and biases, (fan_in, fan_out) and (fan_out,)
    opt.<slot>.<i>   the optimiser's state, shaped like param i

Writing goes to a temporary file in the same folder, is flushed and fsynced,
then renamed over the target (and the folder fsynced), so a crash or a kill at
any moment leaves either the old checkpoint or the new one, never half a file.

Reading checks the archive, the version, every key, shape and dtype and the
JSON, and turns each problem into a :class:`~core.errors.CheckpointError` that
says what is wrong with which file.

Resuming: a run's randomness is drawn per epoch from ``(seed, epoch)`` (see
``core.training.trainer``), so the parameters, the optimiser state and the history are
all a resumed run needs to repeat an uninterrupted one. A checkpoint saved in
the middle of an epoch resumes at the start of that epoch, with the parameters
as they were saved.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.data import Dataset
from core.errors import CheckpointError, ConfigError
from core.guard.files import write_atomic
from core.guard.memory import MAX_DEFLATE_RATIO, require
from core.guard.paths import open_regular
from core.nn.model import MLP
from core.nn.optim import OPTIMIZERS, Optimizer, make_optimizer
from core.training.config import Config
from core.training.control import TrainingControl

if TYPE_CHECKING:
    from core.training.trainer import Trainer

FORMAT = "backprop-studio-checkpoint"
FORMAT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Checkpoint:
    """What a checkpoint holds, ready to use: a live model and optimiser, the run's records."""

    config: Config
    model: MLP
    optimizer: Optimizer
    history: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    epoch: int
    step: int
    meta: dict[str, Any] = field(default_factory=dict)

    def check_fits(self, dataset: Dataset, where: str | os.PathLike) -> None:
        """Refuse (``ConfigError``) a dataset of another input size or class count.

        A model with ten outputs scored on three classes (or thirteen) would
        predict labels the dataset does not have, or meet labels it has no output for.
        """
        n_in, n_out = self.model.sizes[0], self.model.sizes[-1]
        if (dataset.n_features, dataset.n_classes) != (n_in, n_out):
            raise ConfigError(
                f"dataset {dataset.name!r} has {dataset.n_features} inputs and "
                f"{dataset.n_classes} classes; the model in {where} takes {n_in} inputs "
                f"and gives {n_out} classes"
            )

    def trainer(
        self,
        dataset: Dataset,
        control: TrainingControl | None = None,
        config: Config | None = None,
        **options: Any,
    ) -> Trainer:
        """A Trainer that continues this run (optionally with a changed ``config``)."""
        from core.training.trainer import Trainer

        options.setdefault("branch", self.meta.get("branch"))  # a fork stays one when resumed
        return Trainer(
            config or self.config,
            dataset,
            control,
            model=self.model,
            optimizer=self.optimizer,
            history=self.history,
            changes=self.changes,
            **options,
        )


# -- saving ----------------------------------------------------------------------
def save(
    path: str | os.PathLike,
    trainer: Trainer | None = None,
    *,
    model: MLP | None = None,
    optimizer: Optimizer | None = None,
    config: Config | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a checkpoint of ``trainer`` (or of the parts given) atomically; returns the path.

    Call it from the training thread (or through ``TrainingControl.submit``) so
    the arrays do not change while they are written.
    """
    if trainer is not None:
        model, optimizer, config = trainer.model, trainer.optimizer, trainer.config
        rows: list[Mapping[str, Any]] = list(trainer.history)
        changes = trainer.changes
        step = trainer.step
        branch = trainer.branch
    else:
        if model is None or optimizer is None or config is None:
            raise TypeError("save() needs a trainer or model, optimizer and config")
        rows, changes = list(history or ()), list(changes or ())
        step = int(rows[-1].get("step", 0)) if rows else 0
        branch = None
    config = config.replace(hidden=model.hidden) if config.hidden != model.hidden else config
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config.to_dict(),
        "history": rows,
        "changes": changes,
        "epoch": len(rows),
        "step": step,
        "branch": branch,
        "model": {
            "sizes": list(model.sizes),
            "activation": model.activation,
            "init": model.init,
            "dropout": model.dropout,
            "l2": model.l2,
            "dtype": model.dtype.name,
        },
        "optimizer": {
            "name": optimizer.name,
            "learning_rate": optimizer.learning_rate,
            "t": int(optimizer.t),
            "slots": list(optimizer.slots),
        },
    }
    arrays: dict[str, np.ndarray] = {
        "format_version": np.asarray(FORMAT_VERSION, dtype=np.int64),
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    }
    for name, p in zip(model.param_names, model.params, strict=True):
        arrays[f"param.{name}"] = p
    for slot, values in optimizer.state.items():
        for i, a in enumerate(values):
            arrays[f"opt.{slot}.{i}"] = a
    return _write_atomic(Path(path), arrays)


def _write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
    except OSError as exc:
        raise CheckpointError(
            f"{path}: cannot write the checkpoint: {exc.strerror or exc}"
        ) from None


# -- loading ---------------------------------------------------------------------
def load(path: str | os.PathLike) -> Checkpoint:
    """Read and check a checkpoint; any problem is a :class:`CheckpointError` naming it."""
    path = Path(path)
    try:
        f = open_regular(path)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        if f.read(4) != _ZIP_MAGIC:
            raise CheckpointError(f"{path}: not a checkpoint (not an .npz archive)")
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                _check_directory(path, npz)
                arrays = {key: _read_entry(path, npz, key) for key in npz.files}
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise CheckpointError(f"{path}: truncated or corrupt archive ({exc})") from None
    return _from_arrays(path, arrays)


#: What the entries of a checkpoint are called (``.npy`` members of the zip).
_ENTRY_NAME = re.compile(
    r"(format_version|meta|param\.[Wb][1-9][0-9]?|opt\.[a-z]+\.[0-9]{1,2})\.npy"
)
#: The most entries a checkpoint has: the version, the JSON, and for each of at most
#: nine layers a weight and a bias with up to two optimiser state arrays each.
_MAX_ENTRIES = 2 + 9 * 2 * 3
#: Compression methods ``np.savez`` and ``np.savez_compressed`` write.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


def _check_directory(path: Path, npz: Any) -> None:
    """Check the archive's directory before any entry is inflated, in one pass.

    Refused: more entries than any checkpoint has, names no checkpoint uses,
    encrypted entries, compression methods other than stored and deflate, and
    sizes the stored bytes cannot hold or this machine's memory cannot take.
    """
    infos = npz.zip.infolist()
    if len(infos) > _MAX_ENTRIES:
        raise CheckpointError(
            f"{path}: {len(infos):,} entries; a checkpoint has at most {_MAX_ENTRIES}"
        )
    names = {info.filename for info in infos}
    for key in ("format_version", "meta"):
        if f"{key}.npy" not in names:
            raise CheckpointError(
                f"{path}: missing entry {key!r}: not a Backprop Studio checkpoint"
            )
    total = 0
    for info in infos:
        key = info.filename.removesuffix(".npy")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"{path}: entry {key!r} is encrypted; checkpoints never are")
        if info.compress_type not in _METHODS:
            raise CheckpointError(
                f"{path}: entry {key!r} uses zip compression method {info.compress_type}; "
                "checkpoints are stored or deflated"
            )
        _check_claimed_size(path, npz, info)
        if not _ENTRY_NAME.fullmatch(info.filename):
            raise CheckpointError(f"{path}: unexpected entry {key!r}")
        total += info.file_size
    # The arrays as read, then the model built from them (parameters and state again).
    require(2 * total, f"{path}: entries of {total:,} bytes", error=CheckpointError)


def _read_entry(path: Path, npz: Any, key: str) -> np.ndarray:
    try:
        entry = npz[key]
    except ValueError as exc:
        if "pickle" in str(exc) or "Object arrays" in str(exc):
            raise CheckpointError(
                f"{path}: entry {key!r} holds pickled Python objects; checkpoints hold "
                "plain arrays only, so it was not loaded"
            ) from None
        raise CheckpointError(f"{path}: entry {key!r} is corrupt ({exc})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CheckpointError(f"{path}: entry {key!r} is truncated or corrupt ({exc})") from None
    except MemoryError:
        raise CheckpointError(f"{path}: entry {key!r} is too large to load") from None
    if not isinstance(entry, np.ndarray):
        raise CheckpointError(f"{path}: entry {key!r} is not an array")
    return entry


def _check_claimed_size(path: Path, npz: Any, info: zipfile.ZipInfo) -> None:
    """Refuse an entry whose header claims more data than its archive member can hold.

    NumPy allocates the array a ``.npy`` header describes before reading its data,
    so a few hostile bytes could otherwise ask for terabytes. Only the header is
    inflated here.
    """
    key = info.filename.removesuffix(".npy")
    if info.file_size > max(info.compress_size, 1) * MAX_DEFLATE_RATIO:
        raise CheckpointError(
            f"{path}: entry {key!r} claims {info.file_size:,} bytes, more "
            f"than its {info.compress_size:,} stored bytes can hold"
        )
    try:
        with npz.zip.open(info) as f:
            if f.read(6) != b"\x93NUMPY":
                return  # not an array at all: refused when it is read
            f.seek(0)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise CheckpointError(
                    f"{path}: entry {key!r} uses .npy format {version}, "
                    "which checkpoints are never written in"
                )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(f"{path}: entry {key!r} is truncated or corrupt ({exc})") from None
    if dtype.hasobject:
        raise CheckpointError(
            f"{path}: entry {key!r} holds pickled Python objects; checkpoints hold "
            "plain arrays only, so it was not loaded"
        )
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > info.file_size:
        raise CheckpointError(
            f"{path}: entry {key!r} claims shape {shape} ({claimed:,} bytes) but holds only "
            f"{info.file_size:,} bytes"
        )


def _from_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Checkpoint:
    """Check every entry against the description in ``meta``, then rebuild the run.

    Nothing is trusted before it is checked: the version, then the description,
    then each array's presence, shape, dtype and finiteness against what the
    described model and optimiser need.
    """

    def fail(what: str) -> CheckpointError:
        return CheckpointError(f"{path}: {what}")

    _check_version(arrays, fail)
    meta = _read_meta(arrays["meta"], fail)
    try:
        config = Config.from_dict(meta["config"])
    except (ConfigError, TypeError) as exc:
        raise fail(f"config: {exc}") from None
    m, o = meta["model"], meta["optimizer"]
    sizes = _check_description(arrays, meta, fail)
    try:
        dtype = np.dtype(m["dtype"])
        model = MLP(
            sizes,
            activation=m["activation"],
            init=m["init"],
            dropout=float(m["dropout"]),
            l2=float(m["l2"]),
            dtype=dtype,
            seed=config.seed,
        )
    except (ConfigError, KeyError, TypeError, ValueError, OverflowError, MemoryError) as exc:
        raise fail(f"model description is not valid ({exc})") from None
    if not isinstance(o.get("name"), str) or o["name"] not in OPTIMIZERS:
        raise fail(f"optimizer {o.get('name')!r} is not known")
    optimizer = make_optimizer(o["name"], model.params, config.learning_rate, config.momentum)
    _check_entries(arrays, model, optimizer, fail)

    model.params = [np.ascontiguousarray(arrays[f"param.{n}"]) for n in model.param_names]
    state = {k.removeprefix("opt."): v for k, v in arrays.items() if k.startswith("opt.")}
    state["t"] = np.asarray(int(o.get("t", 0)))
    optimizer.load_state_arrays(state, model.params)
    optimizer.learning_rate = float(o.get("learning_rate", config.learning_rate))
    history = meta["history"]
    return Checkpoint(
        config=config,
        model=model,
        optimizer=optimizer,
        history=history,
        changes=meta["changes"],
        epoch=len(history),
        step=int(meta.get("step", 0)),
        meta=meta,
    )


def _check_version(arrays: dict[str, np.ndarray], fail: Callable[[str], CheckpointError]) -> None:
    for key in ("format_version", "meta"):
        if key not in arrays:
            raise fail(f"missing entry {key!r}: not a Backprop Studio checkpoint")
    version_arr = arrays["format_version"]
    if version_arr.shape != () or version_arr.dtype.kind not in "iu":
        raise fail("entry 'format_version' is not an integer")
    version = int(version_arr)
    if version > FORMAT_VERSION:
        raise fail(
            f"format version {version} is newer than this program reads "
            f"({FORMAT_VERSION}); update Backprop Studio to open it"
        )
    if version < 1:
        raise fail(f"format version {version} is not valid")


def _check_description(
    arrays: dict[str, np.ndarray], meta: dict[str, Any], fail: Callable[[str], CheckpointError]
) -> list[int]:
    """The model's layer sizes, checked against its weights before anything is built."""
    o = meta["optimizer"]
    sizes = meta["model"].get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)
    ):
        raise fail(f"model sizes {sizes!r} are not a list of layer widths")
    for i in range(len(sizes) - 1):  # before the model is built: its size comes from here
        w = arrays.get(f"param.W{i + 1}")
        if w is None or w.shape != (sizes[i], sizes[i + 1]):
            raise fail(
                f"entry 'param.W{i + 1}' has shape {getattr(w, 'shape', None)}; the "
                f"model {'-'.join(map(str, sizes))} needs {(sizes[i], sizes[i + 1])}"
            )
    for name, value in (("optimizer t", o.get("t", 0)), ("step", meta.get("step", 0))):
        if not _is_count(value):
            raise fail(f"meta field {name!r} is {value!r}, not a whole number >= 0")
    rate = o.get("learning_rate", 0.0)
    if not _is_number(rate) or not math.isfinite(rate) or rate < 0:
        raise fail(f"meta field 'optimizer learning_rate' is {rate!r}, not a number >= 0")
    return sizes


def _check_entries(
    arrays: dict[str, np.ndarray],
    model: MLP,
    optimizer: Optimizer,
    fail: Callable[[str], CheckpointError],
) -> None:
    """Every parameter and optimiser array present, of its shape and dtype, finite; no extra."""
    expected: dict[str, tuple[int, ...]] = {}
    for name, p in zip(model.param_names, model.params, strict=True):
        expected[f"param.{name}"] = p.shape
    for slot in optimizer.slots:
        for i, p in enumerate(model.params):
            expected[f"opt.{slot}.{i}"] = p.shape
    extra = sorted(set(arrays) - set(expected) - {"format_version", "meta"})
    if extra:
        raise fail(
            f"unexpected entr{'y' if len(extra) == 1 else 'ies'} {', '.join(map(repr, extra))}"
        )
    architecture = "-".join(map(str, model.sizes))
    for key, shape in expected.items():
        if key not in arrays:
            raise fail(f"missing entry {key!r}")
        a = arrays[key]
        if a.shape != shape:
            raise fail(f"entry {key!r} has shape {a.shape}; the model {architecture} needs {shape}")
        if a.dtype != model.dtype:
            raise fail(f"entry {key!r} has dtype {a.dtype}; expected {model.dtype}")
        if not np.isfinite(a).all():
            raise fail(f"entry {key!r} holds NaN or infinite values")


#: Figures of an epoch record that the views and reports compute with (NaN allowed: an
#: epoch that diverged at once has no training loss).
_HISTORY_NUMBERS = (
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "learning_rate",
    "seconds",
    "samples_per_s",
)
#: ... and the counts in it, which must be whole numbers: the loop resumes from them.
_HISTORY_COUNTS = ("epoch", "batch_size", "step")
#: Where a recorded change happened (``HyperparameterChanged``); the epoch is required.
_CHANGE_COUNTS = ("epoch", "batch", "step")
#: Counts beyond this lose their last digits as floats in the views' arrays.
_MAX_COUNT = 2**53


def _is_count(value: Any) -> bool:
    """A whole number from 0 to 2**53 (JSON's exact range), not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT


def _check_history(history: list[Any], fail: Any) -> None:
    """Every epoch record holds what resuming, the report and the window compute with."""
    for i, row in enumerate(history):
        if not isinstance(row, dict) or "val_acc" not in row:
            raise fail(f"history row {i} is not an epoch record")
        for key in _HISTORY_NUMBERS:
            if key in row and not _is_number(row[key]):
                raise fail(f"history row {i}: {key} is {row[key]!r}, not a number")
        for key in _HISTORY_COUNTS:
            if key in row and not _is_count(row[key]):
                raise fail(f"history row {i}: {key} is {row[key]!r}, not a whole number >= 0")
        arch = row.get("architecture", [])
        if not isinstance(arch, list) or not all(_is_count(n) and n > 0 for n in arch):
            raise fail(f"history row {i}: architecture {arch!r} is not a list of layer widths")


def _check_changes(changes: list[Any], fail: Any) -> None:
    """Every change record says in which epoch it happened, and holds no junk where the
    curves and the window look (a record without a batch or step is simply not marked)."""
    for i, change in enumerate(changes):
        if not isinstance(change, dict):
            raise fail(f"change record {i} is {change!r}, not a record")
        for key in _CHANGE_COUNTS:
            if (key == "epoch" or key in change) and not _is_count(change.get(key)):
                raise fail(
                    f"change record {i}: {key} is {change.get(key)!r}, not a whole number >= 0"
                )
        if "name" in change and not isinstance(change["name"], str):
            raise fail(f"change record {i}: name {change['name']!r} is not a setting's name")


def _read_meta(arr: np.ndarray, fail: Any) -> dict[str, Any]:
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise fail("entry 'meta' is not UTF-8 JSON bytes")
    try:
        meta = json.loads(arr.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"entry 'meta' is not valid JSON ({exc})") from None
    except RecursionError:
        raise fail("entry 'meta' nests too deeply to be a checkpoint's description") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail("entry 'meta' does not describe a Backprop Studio checkpoint")
    for key, kind in (
        ("config", dict),
        ("history", list),
        ("changes", list),
        ("model", dict),
        ("optimizer", dict),
    ):
        if not isinstance(meta.get(key), kind):
            raise fail(f"meta field {key!r} is missing or not a {kind.__name__}")
    if not isinstance(meta.get("branch"), (dict, type(None))):
        raise fail("meta field 'branch' is not an object")
    _check_history(meta["history"], fail)
    _check_changes(meta["changes"], fail)
    return meta


def _is_number(value: Any) -> bool:
    """An int or float that arithmetic on floats can use (NaN and infinity included).

    JSON integers have no size limit; one beyond the float range would raise
    OverflowError wherever it is later formatted or computed with.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True
