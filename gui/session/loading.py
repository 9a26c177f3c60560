"""The session's data: the dataset read ahead of Start, a download, a folder, a fall-back.

At launch the draft's dataset is loaded in a thread so that Start trains at once;
MNIST missing, the bundled 8x8 digits are used instead and a banner offers the
download or a folder. Any load that fails says why in the banner, with a way on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.data.catalog import SOURCES
from core.training.config import Config
from gui.shared.state import DatasetInfo, Notice, RunState
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
        if self._loader is not None and self._loader.is_running:
            return
        loader = TrainingRun(
            self.bus, config, self, load_only=True, download=download, fallback=fallback
        )
        loader.loading.connect(self._on_loading)
        loader.dataset_ready.connect(self._on_dataset_ready)
        loader.fell_back.connect(self._on_fell_back)
        loader.failed.connect(lambda kind, msg, details: self._on_failed(kind, msg, details, None))
        if select:
            loader.dataset_ready.connect(lambda ds, _key: self._on_downloaded(ds))
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
        if after is not None:
            self.start(step=None if after == "start" else after)

    def _on_dataset_ready(self, dataset: Any, key: tuple) -> None:
        self._dataset, self._dataset_key = dataset, key
        if self.run is None or not self._views_hold_run:
            self._info = DatasetInfo(
                name=dataset.name,
                n_train=len(dataset.y_train),
                n_val=len(dataset.y_val),
                n_test=len(dataset.y_test),
            )
        self._message = f"{dataset.name} ready ({dataset.source})"
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

    def _on_downloaded(self, dataset: Any) -> None:
        self._draft = self._draft.replace(dataset=dataset.name)
        self.chosen_dataset = dataset.name
        self._notice = Notice(text=f"{dataset.name} is ready: press Start to train on it.")
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
