"""Stored settings: what goes in comes back, and garbage never stops the studio."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from core.errors import SettingsError
from core.training.config import Config
from gui.settings import Settings

DEFAULT = Config(dataset="mnist", hidden=(128,), learning_rate=0.1, batch_size=128, epochs=20)


def ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


def test_run_settings_round_trip_through_the_file(tmp_path):
    chosen = DEFAULT.replace(
        dataset="digits",
        hidden=(256, 64),
        optimizer="adam",
        learning_rate=0.0031,
        batch_size=32,
        epochs=7,
        seed=12,
        augment="shift",
        activation="tanh",
    )
    s = Settings(ini(tmp_path))
    s.save_config(chosen)
    s.sync()
    again = Settings(ini(tmp_path))  # a new process reads the same file
    assert again.load_config(DEFAULT) == chosen and again.errors == []


def test_bad_values_fall_back_one_by_one_with_named_errors(tmp_path):
    s = Settings(ini(tmp_path))
    s.save_config(DEFAULT.replace(seed=5, optimizer="momentum"))
    store = s.store
    store.setValue("run/learning_rate", "banana")
    store.setValue("run/hidden", "-5")
    store.setValue("run/epochs", "1e9")
    store.setValue("run/activation", "swish")
    store.setValue("run/batch_size", ["12", "13"])  # what an INI line "12,13" reads as
    store.sync()
    again = Settings(ini(tmp_path))
    config = again.load_config(DEFAULT)
    assert config.seed == 5 and config.optimizer == "momentum"  # the good ones stay
    for name in ("learning_rate", "hidden", "epochs", "activation", "batch_size"):
        assert getattr(config, name) == getattr(DEFAULT, name)
    assert len(again.errors) == 5
    assert all(isinstance(e, SettingsError) for e in again.errors)
    text = "\n".join(map(str, again.errors))
    assert "run/learning_rate = 'banana'" in text and "run/activation = 'swish'" in text
    assert "studio.ini" in text


def test_a_hand_mangled_file_is_read_without_raising(qtbot, tmp_path):
    path = tmp_path / "studio.ini"
    path.write_bytes(
        b"[run]\nhidden=\xff\xfe,,x\nunknown=1\n[window]\ngeometry=12\n"
        b"state=@ByteArray(garbage)\n[files]\nlast_folder=/no/such/place\n"
        b"[view]\ntheme=purple\n"
    )
    s = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    assert s.load_config(DEFAULT).hidden == DEFAULT.hidden
    w = QMainWindow()
    qtbot.addWidget(w)
    assert s.restore_window(w) is False
    assert s.last_folder == Path.home() and s.theme == "system"
    keys = " ".join(str(e).split(":")[1] for e in s.errors)
    for key in ("run/hidden", "window/geometry", "window/state", "files/last_folder", "view/theme"):
        assert key in keys


def test_window_geometry_and_docks_survive(qtbot, tmp_path):
    def window() -> tuple[QMainWindow, QDockWidget]:
        w = QMainWindow()
        w.setCentralWidget(QLabel("centre"))
        dock = QDockWidget("Tools")
        dock.setObjectName("toolsDock")
        dock.setWidget(QLabel("tools"))
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        qtbot.addWidget(w)
        return w, dock

    w, dock = window()
    w.resize(700, 500)
    w.show()
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    Settings(ini(tmp_path)).save_window(w)
    w2, dock2 = window()
    s = Settings(ini(tmp_path))
    assert s.restore_window(w2) and s.errors == []
    w2.show()
    assert (w2.width(), w2.height()) == (700, 500)
    assert w2.dockWidgetArea(dock2) == Qt.DockWidgetArea.RightDockWidgetArea


def test_folder_and_theme(tmp_path):
    s = Settings(ini(tmp_path))
    s.last_folder = tmp_path / "run.npz"  # a file: its folder is kept
    s.theme = "dark"
    assert Settings(ini(tmp_path)).last_folder == tmp_path
    assert Settings(ini(tmp_path)).theme == "dark"
    with pytest.raises(SettingsError, match="theme"):
        s.theme = "sepia"


def test_settings_survive_a_restart_of_the_window(make_window, qtbot, tmp_path):
    from gui.main_window import MainWindow
    from tests.gui._window import window_config

    w = make_window(window_config(), settings=ini(tmp_path), preload=False)
    c = w.controls
    c.set_hidden(96)
    c.set_learning_rate(0.02)
    c.depth.setValue(2)
    c.epochs.setValue(7)
    c.optimizer.setCurrentIndex(c.optimizer.findData("adam"))
    chosen = w.config()
    w.checkpoint_dir = tmp_path
    w.set_theme("dark")
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, w.controls_dock)
    w.resize(w.width(), 560)  # the offscreen screen is 800 px square: only heights fit it
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    w.set_theme("light")  # the application's palette back for the other tests

    again = MainWindow(settings=ini(tmp_path), preload=False)  # no config: the stored one
    again.on_unsaved_close = "discard"
    qtbot.addWidget(again)
    again.show()
    assert again.config() == chosen
    assert again.config().hidden == (96, 96) and again.config().optimizer == "adam"
    assert again.height() == 560
    assert again.dockWidgetArea(again.controls_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert again.checkpoint_dir == tmp_path
    assert again.theme is not None and again.theme.choice == "dark"
    again.set_theme("light")
    again.close()


def test_a_window_with_damaged_settings_opens_and_says_so(make_window, tmp_path):
    from gui.main_window import MainWindow

    path = tmp_path / "studio.ini"
    path.write_text("[run]\nlearning_rate=fast\nepochs=3\n[window]\ngeometry=zzz\n")
    w = MainWindow(settings=QSettings(str(path), QSettings.Format.IniFormat), preload=False)
    try:
        assert w.config().epochs == 3  # the good value is used
        assert w.config().learning_rate == 0.1  # the bad one falls back to the default
        assert "learning_rate" in w.banner.text() and w.banner.level == "warning"
    finally:
        w.set_theme("light")
        w.close()
        w.deleteLater()


def test_falling_back_to_the_digits_is_not_stored_as_a_choice(
    make_window, qtbot, tmp_path, monkeypatch
):
    from gui.session import RunState
    from tests.gui._window import window_config

    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path / "no-data"))
    w = make_window(window_config(dataset="mnist"), settings=ini(tmp_path))
    qtbot.waitUntil(lambda: w.session.state is RunState.READY, timeout=20_000)
    assert w.config().dataset == "digits"  # MNIST is not here: the window fell back
    w.save_settings()
    assert Settings(ini(tmp_path)).load_config(DEFAULT).dataset == "mnist"
    combo = w.controls.dataset
    combo.setCurrentIndex(combo.findData("mnist"))
    combo.setCurrentIndex(combo.findData("digits"))  # the person picks the digits themselves
    w.save_settings()
    assert Settings(ini(tmp_path)).load_config(DEFAULT).dataset == "digits"
