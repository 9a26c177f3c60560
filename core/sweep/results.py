"""A sweep's results on disk and in summary: the CSV, the grouped table, the top runs.

The CSV is the sweep's only state. One row per finished trial, appended whole as
each trial ends, so an interrupted sweep loses at most the trials that were
running; started again on the same file it skips every key already present. Rows
it cannot read are reported and kept, never dropped. Each row carries the full
configuration and the per-epoch history as JSON, so the file alone is enough to
rebuild the table, the plot, or the curves of the best runs.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core import text
from core.errors import DataError
from core.guard.files import append_record, create_with, shared_lock
from core.guard.paths import open_regular

#: The swept settings, in table order. ``hidden`` is the width of every hidden layer.
SETTING_NAMES = ("learning_rate", "hidden", "depth", "batch_size", "optimizer", "dropout")

COLUMNS = (
    "key",
    "dataset",
    *SETTING_NAMES,
    "seed",
    "status",
    "val_acc",
    "best_val_acc",
    "val_loss",
    "test_acc",
    "test_loss",
    "epochs",
    "seconds",
    "message",
    "config",
    "history",
)


@dataclass(frozen=True)
class TrialResult:
    """What one trial (one setting, one seed) produced."""

    key: str
    setting: dict[str, Any]
    seed: int
    config: dict[str, Any]
    status: str  # "completed", "diverged" or "error"
    val_acc: float
    best_val_acc: float
    val_loss: float
    test_acc: float
    test_loss: float
    epochs: int
    seconds: float
    message: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_row(self) -> dict[str, str]:
        row = {name: _text(self.setting[name]) for name in SETTING_NAMES}
        row.update(
            key=self.key,
            dataset=str(self.config.get("dataset", "")),
            seed=str(self.seed),
            status=self.status,
            val_acc=_text(self.val_acc),
            best_val_acc=_text(self.best_val_acc),
            val_loss=_text(self.val_loss),
            test_acc=_text(self.test_acc),
            test_loss=_text(self.test_loss),
            epochs=str(self.epochs),
            seconds=f"{self.seconds:.3f}",
            message=" ".join(self.message.splitlines()),  # one row, one line
            config=json.dumps(self.config, sort_keys=True, separators=(",", ":")),
            history=json.dumps(self.history, separators=(",", ":")),
        )
        return row

    @classmethod
    def from_row(cls, row: dict[str, str]) -> TrialResult:
        """The result a row records; ``ValueError`` saying which column is wrong, and how,
        when it cannot be one."""
        config = _cell(row, "config", json.loads, "valid JSON")
        history = _cell(row, "history", json.loads, "valid JSON")
        if not isinstance(config, dict):
            raise ValueError("config is not a JSON object")
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            raise ValueError("history is not a JSON list of epoch records")
        setting = {
            name: _cell(row, name, functools.partial(_parse_setting, name), "a number")
            for name in SETTING_NAMES
        }
        return cls(
            key=row["key"],
            setting=setting,
            seed=_cell(row, "seed", int, "a whole number"),
            config=config,
            status=row["status"],
            val_acc=_cell(row, "val_acc", float, "a number"),
            best_val_acc=_cell(row, "best_val_acc", float, "a number"),
            val_loss=_cell(row, "val_loss", float, "a number"),
            test_acc=_cell(row, "test_acc", float, "a number"),
            test_loss=_cell(row, "test_loss", float, "a number"),
            epochs=_cell(row, "epochs", int, "a whole number"),
            seconds=_cell(row, "seconds", float, "a number"),
            message=row["message"],
            history=history,
        )


def _cell(row: dict[str, str], name: str, parse: Callable[[str], Any], what: str) -> Any:
    """``parse(row[name])``; ``ValueError`` naming the column and what it should hold."""
    text = row[name]
    try:
        return parse(text)
    except (ValueError, RecursionError):
        shown = text if len(text) <= 24 else f"{text[:20]}..."
        raise ValueError(f"{name} is {shown!r}, not {what}") from None


def _text(value: Any) -> str:
    # repr of a float round-trips exactly, so a table rebuilt from the CSV is the same table.
    return repr(float(value)) if isinstance(value, float) else str(value)


def _parse_setting(name: str, text: str) -> Any:
    if name == "optimizer":
        return text
    if name in ("learning_rate", "dropout"):
        return float(text)
    return int(text)


class ResultsFile:
    """Append-only CSV of trial results: a header once, then one whole row per trial.

    Several sweeps may append to one file at once: each row is appended under a
    lock in one piece (:func:`core.guard.files.append_record`), and the header is
    written by whichever starts first. The file is never rewritten: a row that
    cannot be read (edited by hand, or cut short when a sweep was killed) is
    reported in :attr:`unreadable` and left as it is; its trial is simply not done.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        #: ``(line number, why)`` of each row the last read could not use.
        self.unreadable: list[tuple[int, str]] = []

    def read(self) -> list[TrialResult]:
        """Every readable row; the others are listed in :attr:`unreadable`."""
        self.unreadable = []
        return read_results(self.path, missing_ok=True, unreadable=self.unreadable)

    def prepare(self) -> list[TrialResult]:
        """Read what is done and make sure the file exists with its header."""
        done = self.read()
        header = _csv_line(COLUMNS)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not create_with(self.path, header):  # there already, maybe still empty
                append_record(self.path, header, if_empty=True)
        except OSError as exc:
            raise DataError(f"{self.path}: cannot create the results file: {_why(exc)}") from None
        return done

    def append(self, result: TrialResult) -> None:
        """Append ``result`` as one row, whole or not at all (a failure leaves no half row)."""
        row = result.to_row()
        try:
            append_record(self.path, _csv_line([row[c] for c in COLUMNS]))
        except OSError as exc:
            raise DataError(
                f"{self.path}: cannot append the result of trial {result.key}: {_why(exc)}"
            ) from None


def _csv_line(cells: Sequence[str]) -> bytes:
    """One CSV row as the csv module writes it (quoting, ``\\r\\n``), in UTF-8."""
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue().encode("utf-8")


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let one field be as long as the whole file (a long trial's history is one field)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, min(size + 1, 2**31 - 1)))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_results(
    path: str | os.PathLike,
    *,
    missing_ok: bool = False,
    unreadable: list[tuple[int, str]] | None = None,
) -> list[TrialResult]:
    """The trials recorded in a sweep CSV, in file order.

    Raises :class:`DataError` naming the file when it is not a sweep's CSV. Rows
    that cannot be read are skipped, and listed in ``unreadable`` (line number,
    why in words) when it is given.

    Rows are read line by line: every row is written on one line, so a row cut
    short (a sweep killed mid-write) never takes the rows after it with it, even
    when it ends inside a quoted field. A quoted field that goes on over the next
    lines is read whole only while none of those lines is a complete row of its own.
    """
    path = Path(path)
    try:
        with open_regular(path) as raw, shared_lock(raw):
            size = os.fstat(raw.fileno()).st_size
            f = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            with _field_limit(size):
                return _rows(path, f, unreadable if unreadable is not None else [])
    except FileNotFoundError:
        if missing_ok:
            return []
        raise DataError(f"{path}: no such sweep results file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read sweep results ({e})") from e


#: Why a row whose quoted field never closes is not read.
CUT_SHORT = "cut short inside a quoted field"


def _rows(path: Path, lines: Iterable[str], unreadable: list[tuple[int, str]]) -> list[TrialResult]:
    numbered = enumerate((line.rstrip("\r\n") for line in lines), start=1)
    header = next((_cells(line) for _, line in numbered), [])
    if header and tuple(header) != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        raise DataError(
            f"{path}: not a sweep results file (missing columns: "
            f"{', '.join(missing) or 'none, but in another order'})"
        )
    results: list[TrialResult] = []
    start, open_text = 0, ""  # a row whose quoted field is still open, and where it began
    for number, line in numbered:
        if open_text:
            if _quotes_open(line) or len(_cells(line)) != len(COLUMNS):
                open_text += "\n" + line  # the open field goes on over this line
                if _quotes_open(line):  # ... and ends here
                    _read_row(start, open_text, results, unreadable)
                    open_text = ""
                continue
            unreadable.append((start, CUT_SHORT))  # a whole row follows: that one was cut
            open_text = ""
        if _quotes_open(line):
            start, open_text = number, line
        elif line:
            _read_row(number, line, results, unreadable)
    if open_text:
        unreadable.append((start, CUT_SHORT))
    return results


def _quotes_open(text: str) -> bool:
    """Whether a quoted field is left open at the end of ``text`` (the csv module writes a
    quote in a field as two, so an odd count leaves one open)."""
    return text.count('"') % 2 == 1


def _cells(text: str) -> list[str]:
    return next(csv.reader([text]), [])


def _read_row(
    number: int, text: str, results: list[TrialResult], unreadable: list[tuple[int, str]]
) -> None:
    """Read the row at line ``number`` into ``results``, or say in ``unreadable`` why not."""
    try:
        cells = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as e:
        unreadable.append((number, f"not CSV ({e})"))
        return
    if len(cells) != len(COLUMNS):
        unreadable.append((number, f"has {len(cells)} of {len(COLUMNS)} columns"))
        return
    try:
        results.append(TrialResult.from_row(dict(zip(COLUMNS, cells, strict=True))))
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        unreadable.append((number, str(e)[:120]))


@dataclass(frozen=True)
class Group:
    """All seeds of one setting, summarised: means and sample standard deviations."""

    setting: dict[str, Any]
    seeds: tuple[int, ...]
    val_acc: float
    val_acc_std: float
    best_val_acc: float
    val_loss: float
    test_acc: float
    test_acc_std: float
    seconds: float
    failed: int


def _std(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _group_key(result: TrialResult) -> str:
    config = {k: v for k, v in result.config.items() if k != "seed"}
    return json.dumps(config, sort_keys=True)


def summarize(results: Iterable[TrialResult]) -> list[Group]:
    """Group trials by setting (everything but the seed), best mean validation accuracy first.

    Diverged or failed trials count with the accuracy they reached (a setting that
    diverges for one seed in three should look worse, not better), and are counted
    in ``failed``.
    """
    groups: dict[str, list[TrialResult]] = {}
    for r in results:
        groups.setdefault(_group_key(r), []).append(r)
    out = []
    for members in groups.values():
        members.sort(key=lambda r: r.seed)
        val = [r.val_acc for r in members]
        test = [r.test_acc for r in members]
        out.append(
            Group(
                setting=dict(members[0].setting) | _other_fields(members[0]),
                seeds=tuple(r.seed for r in members),
                val_acc=float(np.mean(val)),
                val_acc_std=_std(val),
                best_val_acc=float(np.mean([r.best_val_acc for r in members])),
                val_loss=_finite_mean([r.val_loss for r in members]),
                test_acc=float(np.mean(test)),
                test_acc_std=_std(test),
                seconds=float(np.mean([r.seconds for r in members])),
                failed=sum(r.status != "completed" for r in members),
            )
        )
    out.sort(
        key=lambda g: (_desc(g.val_acc), _desc(g.test_acc), json.dumps(g.setting, sort_keys=True))
    )
    return out


def _desc(value: float) -> float:
    """Sort key: larger first, NaN (a trial that failed) last."""
    return -value if math.isfinite(value) else math.inf


def _finite_mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _other_fields(result: TrialResult) -> dict[str, Any]:
    """The fixed part of the configuration, for telling apart sweeps mixed in one file."""
    skip = {"seed", "learning_rate", "hidden", "batch_size", "optimizer", "dropout"}
    return {k: v for k, v in result.config.items() if k not in skip}


def varying(groups: Sequence[Group]) -> list[str]:
    """The setting names whose value differs between groups: the table's and plot's axes."""
    if not groups:
        return []
    names = list(SETTING_NAMES) + [n for n in groups[0].setting if n not in SETTING_NAMES]
    out = []
    for name in names:
        values = {json.dumps(g.setting.get(name), sort_keys=True) for g in groups}
        if len(values) > 1:
            out.append(name)
    return out


LABELS = {
    "learning_rate": "lr",
    "hidden": "hidden",
    "depth": "depth",
    "batch_size": "batch",
    "optimizer": "optimizer",
    "dropout": "dropout",
}


def format_value(value: Any) -> str:
    """A setting's value in the table and the figure: as the person typed it."""
    return text.value(value)


def format_table(groups: Sequence[Group]) -> str:
    """A plain-text table, best setting first: validation accuracy as mean ± std over seeds."""
    if not groups:
        return "no finished trials"
    names = varying(groups) or ["learning_rate"]
    head = [LABELS.get(n, n) for n in names] + [
        "seeds",
        "val acc",
        "best val",
        "val loss",
        "test acc",
        "s/trial",
    ]
    rows = []
    for g in groups:
        cells = [format_value(g.setting.get(n)) for n in names]
        seeds = f"{len(g.seeds)}" + (f" ({g.failed} failed)" if g.failed else "")
        cells += [
            seeds,
            f"{g.val_acc:.4f} ± {g.val_acc_std:.4f}",
            f"{g.best_val_acc:.4f}",
            f"{g.val_loss:.4f}",
            f"{g.test_acc:.4f} ± {g.test_acc_std:.4f}",
            f"{g.seconds:.2f}",
        ]
        rows.append(cells)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def top_runs(csv_path: str | os.PathLike, k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` trials with the best final validation accuracy, with their curves.

    Each is ``{"key", "setting", "seed", "config", "status", "val_acc", "test_acc",
    "history"}`` where ``history`` is the run's list of per-epoch dicts (epoch,
    train/val loss and accuracy, learning rate, ...), ready to overlay as curves.
    """
    results = sorted(
        read_results(csv_path), key=lambda r: (_desc(r.val_acc), _desc(r.test_acc), r.key)
    )
    return [
        {
            "key": r.key,
            "setting": dict(r.setting),
            "seed": r.seed,
            "config": dict(r.config),
            "status": r.status,
            "val_acc": r.val_acc,
            "test_acc": r.test_acc,
            "history": list(r.history),
        }
        for r in results[: max(0, int(k))]
    ]
