"""The session's data: the dataset read ahead of Start, a download, a folder, a fall-back.

At launch the draft's dataset is loaded in a thread so that Start trains at once;
MNIST missing, the bundled 8x8 digits are used instead and a banner offers the
download or a folder. Any load that fails says why in the banner, with a way on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from core.data.catalog import SOURCES, source_for
from core.training.config import Config
from gui.shared.state import DatasetInfo, Notice, RunState, folder_note
from gui.worker import TrainingRun, dataset_key

#: Datasets the window replaces by the bundled digits when they cannot be found.
FALLS_BACK = tuple(SOURCES)


def places_tried(message: str) -> str:
    """The places a "not available" message lists, on one line (else its first line)."""
    places = [
        line.strip()[2:]
        for line in message.splitlines()
        if line.strip().startswith("- ") and "turned off" not in line
    ]
    return "; ".join(places) if places else message.splitlines()[0] if message else "?"


def _skipped(dataset: Any) -> bool:
    """Loading ``dataset`` (an image folder) left bad pictures out."""
    report = getattr(dataset, "image_folder", None)
    return report is not None and report.skipped > 0


class DataLoading:
    """Loading datasets ahead of Start (a part of :class:`~gui.session.Session`)."""

    def preload(self) -> None:
        """Read the draft's dataset ahead of Start (MNIST missing: the bundled digits)."""
        if self._closing:
            return  # closed before the event loop got here: no thread may start now
        self._load_ahead(self._draft, download=False, fallback=self._draft.dataset == "mnist")

    def download_mnist(self) -> None:
        """Fetch MNIST (with progress), then select it."""
        self._load_ahead(
            self._draft.replace(dataset="mnist", data_path=None), download=True, select=True
        )

    def use_digits(self) -> None:
        """Switch to the bundled 8x8 digits and start training on them."""
        self.edit("dataset", "digits")
        self.start()

    def choose_data_folder(self) -> None:
        """Ask for a folder of MNIST IDX files, then load and select it."""
        folder = self.choose_folder()
        if folder:
            self._load_ahead(
                self._draft.replace(dataset="mnist", data_path=folder), download=False, select=True
            )

    def use_folder(self, path: str | os.PathLike) -> None:
        """A folder the person chose (the dataset box, a drop on the window) as the dataset.

        Any folder ``load_dataset`` reads: pictures in one subfolder per class, IDX
        files or CIFAR batches. It is loaded first, in the loader's thread, and becomes
        the next run's dataset only once it has loaded; a folder that cannot be used
        leaves the draft and the run as they were, and the banner says why.
        """
        typed = os.fspath(path).strip()
        if not typed:
            return
        known = source_for(typed)
        if known is not None:  # a dataset's other name typed in the box ("fashion")
            self.edit("dataset", known.key)
            return
        folder = os.path.abspath(os.path.expanduser(typed))
        config = self._draft.replace(dataset=folder, data_path=None)
        ready = self.dataset_for(dataset_key(config))
        if ready is not None:
            self._on_selected(config, ready)
            return
        self._load_ahead(config, download=False, select=True)

    def _load_draft_ahead(self) -> None:
        if (
            not self._state.live
            and self._state is not RunState.STOPPING
            and self.dataset_for(dataset_key(self._draft)) is None
        ):
            self._load_ahead(self._draft, download=False)

    def _load_ahead(
        self, config: Config, *, download: bool, fallback: bool = False, select: bool = False
    ) -> None:
        """Load ``config``'s dataset in the loader's thread; ``select`` makes it the draft's
        once loaded. One loader at a time, until its end has been handled here (its last
        signals may still be on their way after its thread is over): a request meanwhile
        waits, the latest one, a person's choice (``select``) before a read-ahead."""
        if self._loader is not None:
            waiting = self._next_load
            if select or waiting is None or not waiting[3]:
                self._next_load = (config, download, fallback, select)
            return
        loader = TrainingRun(
            self.bus, config, self, load_only=True, download=download, fallback=fallback
        )
        loader.loading.connect(self._on_loading)
        loader.dataset_ready.connect(
            lambda ds, key, c=config, select=select: self._on_loaded(ds, key, c, select)
        )
        loader.fell_back.connect(self._on_fell_back)
        if select:
            loader.failed.connect(lambda _kind, msg, _details, c=config: self._on_refused(c, msg))
        else:
            loader.failed.connect(
                lambda kind, msg, details: self._on_failed(kind, msg, details, None)
            )
        loader.ended.connect(self._on_loader_ended)
        self._loader = loader
        if self._state in (RunState.IDLE, RunState.READY, RunState.ERROR):
            self._state = RunState.LOADING
        self._message = f"Loading {config.dataset}…"
        loader.start()
        self._emit()

    def _on_loading(self, what: str, done: int, total: int) -> None:
        self._loading = (what, done, total)
        self._emit()

    def _on_loader_ended(self, _trainer: object) -> None:
        self._loader = None
        self._loading = None
        after, self._after_load = self._after_load, None
        if self._closing:
            return
        if self._state is RunState.LOADING and self.run is None:
            self._state = self._resting_state()
        self._emit()
        waiting, self._next_load = self._next_load, None
        if waiting is not None:
            config, download, fallback, select = waiting
            key = dataset_key(config)
            if select or (key == dataset_key(self._draft) and self.dataset_for(key) is None):
                self._load_ahead(config, download=download, fallback=fallback, select=select)
        if after is not None:
            self.start(step=None if after == "start" else after)

    def _on_loaded(self, dataset: Any, key: tuple, config: Config, select: bool) -> None:
        """The loader read ``config``'s dataset: kept when it is still wanted (the person
        chose it, or the draft still asks for it), then made the draft's when chosen."""
        if select or key == dataset_key(self._draft) or self._dataset is None:
            self._on_dataset_ready(dataset, key)
        if select:
            self._on_selected(config, dataset)

    def _on_dataset_ready(self, dataset: Any, key: tuple, run: TrainingRun | None = None) -> None:
        self._dataset, self._dataset_key = dataset, key
        if run is not None and run is self.run:
            self._run_data = dataset
            self._scrub.set_dataset(dataset)
        if _skipped(dataset):
            self._notice = Notice(text=f"{dataset.name}: {folder_note(dataset)}", level="warning")
        if self.run is None or not self._views_hold_run:
            self._info = DatasetInfo(
                name=dataset.name,
                n_train=len(dataset.y_train),
                n_val=len(dataset.y_val),
                n_test=len(dataset.y_test),
            )
        report = dataset.image_folder
        self._message = (
            f"{dataset.name} ready ({dataset.source})"
            if report is None
            else f"{dataset.name} ready: {report.images:,} images from {report.folder}"
        )
        self._emit()

    def _on_fell_back(self, why: str) -> None:
        self._draft = self._draft.replace(dataset="digits", data_path=None)
        self._notice = Notice(
            text=f"MNIST not found (looked in {places_tried(why)}): "
            "training on the bundled 8×8 digits.",
            level="warning",
            actions=(
                ("Download MNIST", self.download_mnist),
                ("Choose folder…", self.choose_data_folder),
            ),
        )
        self._emit()

    def _on_selected(self, config: Config, dataset: Any) -> None:
        """``config``'s dataset loaded as the person asked: it is the next run's now."""
        old = self._draft
        self._draft = old.replace(dataset=config.dataset, data_path=config.data_path)
        self.chosen_dataset = config.dataset
        live = self._state.live or self._state is RunState.STOPPING
        when = "Reset, then Start, to train on it" if live else "press Start to train on it"
        note = folder_note(dataset)
        self._notice = Notice(
            text=f"{dataset.name} is ready: {when}." + (f" {note}" if note else ""),
            level="warning" if _skipped(dataset) else "info",
        )
        if self._state in (RunState.IDLE, RunState.ERROR) and not live:
            self._state = self._resting_state()
        self._emit()

    def _on_refused(self, config: Config, message: str) -> None:
        """A folder the person chose could not be used: say why; nothing else changes."""
        self._notice = Notice(text=f"That folder cannot be used: {message}", level="error")
        self._message = "That folder cannot be used: see the message above"
        self._emit()

    def _on_failed(self, kind: str, message: str, details: str, run: TrainingRun | None) -> None:
        actions: tuple[tuple[str, Callable[[], Any]], ...] = ()
        if kind in ("DataError", "DatasetUnavailable"):
            actions = (
                ("Use the bundled 8×8 digits", self.use_digits),
                ("Choose folder…", self.choose_data_folder),
            )
        elif details:
            actions = (("Details…", lambda: self.show_details(message, details)),)
        self._notice = Notice(text=message, level="error", actions=actions)
        self._message = "Something went wrong: see the message above"
        if run is not None and run is self.run:
            self._state = RunState.ERROR
            self._step = None
        elif self._state is RunState.LOADING and self.run is None:
            self._state = RunState.ERROR
        self._emit()
