"""Lessons and shared setups: small TOML files a teacher can write by hand.

A *lesson* is a predict-then-observe experiment. It asks a question with a few
answers, sets up one or more runs (each a :class:`~core.training.config.Config`,
optionally with live changes at chosen epochs), runs them, then shows a sentence
filled with what happened and an explanation of why. A *setup* is the same file
without the question: the settings and the window's layout one person shares with
another (File > Share setup in the window writes one).

The format is documented in ``resources/lessons/README.md``. Everything read from
a file is checked here: an unknown key, a bad setting or a placeholder that does
not exist is a :class:`~core.errors.LessonError` naming the file and the problem,
never a traceback. Placeholders in the texts are plain names (``{val_acc_1}``);
attribute or index lookups are refused, so a file cannot reach into the program.
"""

from __future__ import annotations

import math
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import BackpropError, ConfigError
from core.text import number, sizes
from core.training.config import Config
from core.training.control import LIVE_SETTINGS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Where the shipped lessons live.
LESSONS_DIR = Path(__file__).resolve().parents[1] / "resources" / "lessons"
#: A lesson file is small; anything bigger is not one.
MAX_FILE_BYTES = 64 * 1024
#: Tabs of the window a file may ask to show.
TABS = ("training", "draw", "health", "runs", "inside")
THEMES = ("system", "light", "dark")
#: What an experiment's outcome offers to the texts, per run (``_1``, ``_2``, ...).
OUTCOME_NAMES = (
    "val_acc",
    "best_val_acc",
    "train_acc",
    "val_loss",
    "train_loss",
    "epochs",
    "diverged",
    "label",
)


class LessonError(BackpropError):
    """A lesson or setup file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveChange:
    """Change ``name`` to ``value`` before the first batch of epoch ``epoch`` (0-based)."""

    epoch: int
    name: str
    value: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    """One run of a lesson: its settings and the live changes made while it trains."""

    label: str
    config: Config
    changes: tuple[LiveChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    """Settings and layout to restore: what File > Share setup writes."""

    title: str
    config: Config
    tab: str = "training"
    theme: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    """A predict-then-observe experiment read from a lesson file.

    ``answer`` indexes ``choices`` (0-based); ``observe`` and ``explain`` may name
    an outcome of the runs with ``{val_acc_1}`` style placeholders (see
    :data:`OUTCOME_NAMES`; without a number, the first run).
    """

    key: str
    title: str
    summary: str
    question: str
    choices: tuple[str, ...]
    answer: int
    experiments: tuple[Experiment, ...]
    observe: str
    explain: str
    tab: str = "training"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one experiment did, as the lesson's texts may quote it."""

    label: str
    epochs: int
    val_acc: float
    best_val_acc: float
    train_acc: float
    val_loss: float
    train_loss: float
    diverged: bool

    def texts(self) -> dict[str, str]:
        """Each figure as a person reads it: accuracies in %, losses to three places."""
        return {
            "label": self.label,
            "epochs": str(self.epochs),
            "val_acc": _percent(self.val_acc),
            "best_val_acc": _percent(self.best_val_acc),
            "train_acc": _percent(self.train_acc),
            "val_loss": _loss(self.val_loss),
            "train_loss": _loss(self.train_loss),
            "diverged": "diverged" if self.diverged else "did not diverge",
        }


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%" if math.isfinite(x) else "n/a"


def _loss(x: float) -> str:
    return f"{x:.3f}" if math.isfinite(x) else "n/a"


# -- reading ---------------------------------------------------------------------------


def shipped_lessons() -> list[Lesson]:
    """Every lesson under ``resources/lessons``, in file-name order."""
    return [load_lesson(p) for p in sorted(LESSONS_DIR.glob("*.toml"))]


def load_lesson(path: str | Path) -> Lesson:
    """Read and check the lesson file at ``path``."""
    path = Path(path)
    doc = _read(path)
    where = str(path)
    _only(
        doc,
        {"title", "summary", "question", "choices", "answer", "tab", "run", "observe", "explain"},
        where,
    )
    choices = tuple(_text(c, f"{where}: choices") for c in _list(doc, "choices", where))
    if not 2 <= len(choices) <= 6:
        raise LessonError(f"{where}: choices: give 2 to 6 answers (got {len(choices)})")
    answer = doc.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(choices):
        raise LessonError(
            f"{where}: answer: {answer!r} must be the number of a choice, 1 to {len(choices)}"
        )
    runs = _list(doc, "run", where)
    if not 1 <= len(runs) <= 4:
        raise LessonError(f"{where}: [[run]]: give 1 to 4 runs (got {len(runs)})")
    experiments = tuple(_experiment(r, i, where) for i, r in enumerate(runs, 1))
    lesson = Lesson(
        key=path.stem,
        title=_text(doc.get("title"), f"{where}: title"),
        summary=_text(doc.get("summary", ""), f"{where}: summary", empty=True),
        question=_text(doc.get("question"), f"{where}: question"),
        choices=choices,
        answer=answer - 1,
        experiments=experiments,
        observe=_text(doc.get("observe"), f"{where}: observe"),
        explain=_text(doc.get("explain"), f"{where}: explain"),
        tab=_tab(doc.get("tab", "training"), where),
    )
    for field_name in ("observe", "explain"):  # every placeholder must exist: fail now
        _check_placeholders(getattr(lesson, field_name), len(experiments), f"{where}: {field_name}")
    return lesson


def load_setup(path: str | Path) -> Setup:
    """Read and check a setup file (a lesson file is accepted too: its first run's settings)."""
    path = Path(path)
    doc = _read(path)
    where = str(path)
    if "run" in doc:
        lesson = load_lesson(path)
        return Setup(title=lesson.title, config=lesson.experiments[0].config, tab=lesson.tab)
    _only(doc, {"title", "tab", "theme", "settings"}, where)
    theme = doc.get("theme")
    if theme is not None and theme not in THEMES:
        raise LessonError(f"{where}: theme: {theme!r}; choose one of {', '.join(THEMES)}")
    settings = doc.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where}: [settings] must be a table of settings")
    return Setup(
        title=_text(doc.get("title", path.stem), f"{where}: title"),
        config=_config(settings, f"{where}: [settings]"),
        tab=_tab(doc.get("tab", "training"), where),
        theme=theme,
    )


def write_setup(path: str | Path, setup: Setup) -> Path:
    """Write ``setup`` as a setup file a person can read, edit and open again."""
    import tomli_w

    settings = {k: v for k, v in setup.config.to_dict().items() if v is not None}
    doc: dict[str, Any] = {"title": setup.title, "tab": setup.tab}
    if setup.theme is not None:
        doc["theme"] = setup.theme
    doc["settings"] = settings
    path = Path(path)
    text = "# A Backprop Studio setup: open it with File > Open setup.\n" + tomli_w.dumps(doc)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LessonError(f"{path}: cannot write the setup: {exc.strerror or exc}") from None
    return path


def _read(path: Path) -> dict[str, Any]:
    try:
        if not path.is_file():
            raise LessonError(f"{path}: not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LessonError(
                f"{path}: {path.stat().st_size:,} bytes is too big for a "
                f"lesson or setup (at most {MAX_FILE_BYTES:,})"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise LessonError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LessonError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path}: not valid TOML: {exc}") from None


def _only(doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise LessonError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _text(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise LessonError(f"{where}: expected text")
    return " ".join(value.split()) if "\n\n" not in value else value.strip()


def _list(doc: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise LessonError(f"{where}: {key}: expected a list")
    return value


def _tab(value: Any, where: str) -> str:
    if value not in TABS:
        raise LessonError(f"{where}: tab: {value!r}; choose one of {', '.join(TABS)}")
    return str(value)


def _config(values: Mapping[str, Any], where: str) -> Config:
    try:
        return Config.from_dict(dict(values))
    except ConfigError as exc:
        raise LessonError(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise LessonError(f"{where}: {exc}") from None


def _experiment(run: Any, index: int, where: str) -> Experiment:
    here = f"{where}: run {index}"
    if not isinstance(run, dict):
        raise LessonError(f"{here}: expected a table")
    _only(run, {"label", "settings", "change"}, here)
    settings = run.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{here}: settings: expected a table")
    config = _config(settings, f"{here}: settings")
    changes = []
    for raw in run.get("change", []) if isinstance(run.get("change", []), list) else [None]:
        if not isinstance(raw, dict):
            raise LessonError(f"{here}: [[run.change]]: expected tables")
        _only(raw, {"epoch", "setting", "value"}, f"{here}: change")
        epoch, name, value = raw.get("epoch"), raw.get("setting"), raw.get("value")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch < config.epochs:
            raise LessonError(f"{here}: change: epoch {epoch!r} must be 1 to {config.epochs - 1}")
        if name not in LIVE_SETTINGS:
            raise LessonError(
                f"{here}: change: {name!r} cannot change while training; "
                f"choose one of {', '.join(LIVE_SETTINGS)}"
            )
        if name == "hidden":
            value = tuple(value) if isinstance(value, list) else (value,)
        try:
            value = Config.check_value(name, value)
        except (ConfigError, TypeError) as exc:
            raise LessonError(f"{here}: change: {exc}") from None
        changes.append(LiveChange(epoch=epoch, name=name, value=value))
    label = run.get("label", f"run {index}")
    return Experiment(
        label=_text(label, f"{here}: label"),
        config=config,
        changes=tuple(sorted(changes, key=lambda c: c.epoch)),
    )


# -- texts -------------------------------------------------------------------------------


class _PlainNames(string.Formatter):
    """``str.format`` that allows only plain names: no ``{x.attr}``, ``{x[0]}`` or specs."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return kwargs[field_name], field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:
            raise ValueError("format specifications are not allowed")
        return str(value)


def _names(n_runs: int) -> set[str]:
    names = set(OUTCOME_NAMES)
    names |= {f"{name}_{i}" for name in OUTCOME_NAMES for i in range(1, n_runs + 1)}
    return names


def _check_placeholders(text: str, n_runs: int, where: str) -> None:
    dummy = dict.fromkeys(_names(n_runs), "")
    try:
        _PlainNames().vformat(text, (), dummy)
    except KeyError as exc:
        names = ", ".join(sorted(OUTCOME_NAMES))
        raise LessonError(
            f"{where}: unknown placeholder {{{exc.args[0]}}}; use one of {names}, "
            "optionally with _1, _2, ..."
        ) from None
    except (ValueError, IndexError) as exc:
        raise LessonError(f"{where}: bad placeholder: {exc}") from None


def fill(text: str, outcomes: Sequence[Outcome]) -> str:
    """``text`` with its placeholders replaced by the outcomes' figures."""
    values: dict[str, str] = {}
    for i, outcome in enumerate(outcomes, 1):
        for name, shown in outcome.texts().items():
            values[f"{name}_{i}"] = shown
            if i == 1:
                values[name] = shown
    for name in _names(len(outcomes)) - set(values):
        values[name] = "n/a"
    return _PlainNames().vformat(text, (), values)


# -- running headless --------------------------------------------------------------------


def schedule(experiment: Experiment, control: Any) -> None:
    """Ask ``control`` (a :class:`~core.training.control.TrainingControl`) for the
    experiment's live changes, each applied by the Trainer when its epoch begins."""
    for change in experiment.changes:
        control.at_epoch(change.epoch, change.name, change.value)


def run_experiment(
    experiment: Experiment,
    dataset: Any,
    on_event: Callable[[Any], None] | None = None,
) -> Outcome:
    """Train ``experiment`` on ``dataset`` headless, with its live changes; its outcome.

    The window runs lessons through its own session (so every view shows them),
    scheduling the changes the same way; this is the same experiment for the
    command line and the tests.
    """
    from core.training.control import TrainingControl
    from core.training.events import Diverged
    from core.training.trainer import Trainer

    control = TrainingControl()
    schedule(experiment, control)
    config = experiment.config.replace(dataset=dataset.name)
    trainer = Trainer(config, dataset, control, snapshots=False)
    diverged = False
    for event in trainer.run():
        if on_event is not None:
            on_event(event)
        if isinstance(event, Diverged):
            diverged = True  # nobody is there to pick a new rate: the run ends here
            control.stop()
    return outcome_of(experiment.label, trainer.history, diverged)


def outcome_of(label: str, history: Sequence[Mapping[str, Any]], diverged: bool) -> Outcome:
    """An :class:`Outcome` from a run's per-epoch history rows."""
    nan = math.nan
    last = history[-1] if history else {}
    return Outcome(
        label=label,
        epochs=len(history),
        val_acc=float(last.get("val_acc", nan)),
        best_val_acc=max((float(r["val_acc"]) for r in history), default=nan),
        train_acc=float(last.get("train_acc", nan)),
        val_loss=float(last.get("val_loss", nan)),
        train_loss=float(last.get("train_loss", nan)),
        diverged=diverged,
    )


def describe(experiment: Experiment) -> str:
    """One line saying what a run trains: ``784-128-10 relu, sgd lr 0.1, batch 128, 5 epochs``."""
    c = experiment.config
    text = (
        f"hidden {sizes(c.hidden) or 'none'} {c.activation}, {c.optimizer} "
        f"lr {number(c.learning_rate, 3)}, batch {c.batch_size}, {c.epochs} epochs"
    )
    for change in experiment.changes:
        text += f"; {change.name} -> {change.value} at epoch {change.epoch}"
    return text
