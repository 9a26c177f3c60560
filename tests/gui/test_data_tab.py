"""Your own pictures in the window, and the Data tab: a dropped or typed folder, what it
skipped, the samples and counts of every class, and the augmentation preview."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.data import summary as summary_module
from core.training.augment import augment_batch
from gui.shared.state import RunState
from gui.views.data import DRAWS, PER_CLASS

LONG = 20_000  # ms: generous, for a busy 2-core machine


def picture_folder(root, classes=("cat", "dog", "fox"), per_class=6):
    """Tiny grey PNGs in one folder per class, plus a file cut short and an empty one."""
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (6, 6), dtype=np.uint8)).save(
                root / c / f"{i}.png"
            )
    (root / "dog" / "broken.png").write_bytes((root / "dog" / "0.png").read_bytes()[:40])
    (root / "fox" / "empty.png").write_bytes(b"")
    return root


def drop(window, folder) -> bool:
    """Drag ``folder`` over the window and drop it, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    where = QPointF(window.width() / 2, window.height() / 2)
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(window, QDropEvent(where, Qt.DropAction.CopyAction, mime, buttons, keys))
    return True


def in_a_thread(monkeypatch, module, name) -> list[int]:
    """Wrap ``module.name`` to record the thread each call runs in."""
    threads: list[int] = []
    real = getattr(module, name)

    def recorded(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)
    return threads


def test_a_dropped_folder_becomes_the_dataset_and_a_bad_one_changes_nothing(
    make_window, qtbot, tmp_path, monkeypatch
):
    summaries = in_a_thread(monkeypatch, summary_module, "summarize")
    w = make_window()
    folder = picture_folder(tmp_path / "pets")
    assert not drop(w, tmp_path / "pets" / "cat" / "0.png")  # a file is not a dataset
    assert drop(w, folder)
    qtbot.waitUntil(lambda: w.config().dataset == str(folder), timeout=LONG)
    text = w.banner.text()
    assert w.banner.level == "warning" and "pets is ready" in text
    assert "Skipped 2 bad images" in text and "dog/broken.png" in text and "fox/empty.png" in text
    assert w.tabs.currentWidget() is w.data and w.controls.dataset.currentText() == "pets"

    data = w.session.view.data
    qtbot.waitUntil(lambda: w.data.summary() is not None, timeout=LONG)
    assert summaries and threading.get_ident() not in summaries
    assert w.data.grid.row_labels() == ("cat", "dog", "fox")
    counts = [np.bincount(y, minlength=3) for y in (data.y_train, data.y_val, data.y_test)]
    assert np.array_equal(w.data.counts_chart.counts(), np.stack(counts))
    assert "skipped 2 bad images" in w.data._source.text().lower()

    # A folder typed in the dataset box that is not a dataset: the core's message, and
    # the draft (and what the Data tab shows) stay as they were.
    lonely = tmp_path / "lonely" / "only-class"
    lonely.mkdir(parents=True)
    Image.new("L", (6, 6)).save(lonely / "a.png")
    box = w.controls.dataset.lineEdit()
    box.setText(str(lonely.parent))
    box.returnPressed.emit()
    qtbot.waitUntil(lambda: w.banner.level == "error", timeout=LONG)
    assert "That folder cannot be used" in w.banner.text() and "class" in w.banner.text()
    assert w.config().dataset == str(folder) and w.session.view.data is data
    assert w.controls.dataset.currentText() == "pets"


def test_the_data_tab_shows_every_class_and_previews_the_augmentation(window, qtbot):
    w = window
    qtbot.waitUntil(lambda: w.session.view.data is not None, timeout=LONG)
    data = w.session.view.data
    w.tabs.setCurrentWidget(w.data)
    qtbot.waitUntil(lambda: w.data.summary() is not None, timeout=LONG)
    grid = w.data.grid
    assert grid.row_labels() == data.class_names
    assert all(grid.samples_in_row(c) == PER_CLASS for c in range(data.n_classes))
    summary = w.data.summary()
    for c in range(data.n_classes):  # every sample shown is a training image of its class
        rows = data.X_train[data.y_train == c]
        assert all((rows == s).all(axis=1).any() for s in summary.samples[c])
        assert np.allclose(summary.means[c], rows.mean(axis=0), atol=1e-5)
    counts = [np.bincount(y, minlength=10) for y in (data.y_train, data.y_val, data.y_test)]
    assert np.array_equal(w.data.counts_chart.counts(), np.stack(counts))
    assert w.data.histogram.histogram().sum() == data.X_train.size

    plain = w.data.preview_images()
    assert plain.shape == (1 + DRAWS, data.n_features) and (plain == plain[0]).all()
    w.controls.augment.setCurrentIndex(w.controls.augment.findData("shift"))
    shifted = w.data.preview_images()
    assert w.config().augment == "shift" and not (shifted[1:] == shifted[0]).all()
    # What the trainer would see: the same function, the same original, its own draws.
    x = shifted[0]
    batch = np.repeat(x[None], DRAWS, axis=0)
    expected = augment_batch(batch, data.image_shape, "shift", np.random.default_rng([0, 0]))
    assert np.array_equal(shifted[1:], expected)
    w.data.new_draw.click()
    assert not np.array_equal(w.data.preview_images(), shifted)


def test_a_chosen_folder_wins_over_a_read_ahead_in_either_order(make_window, qtbot, tmp_path):
    folder = str(picture_folder(tmp_path / "pets"))
    for first_the_folder in (False, True):
        w = make_window(preload=False)
        s = w.session
        steps = [lambda s=s: s.use_folder(folder), s.preload]
        for step in steps if first_the_folder else steps[::-1]:
            step()  # the second asks while the first is still loading
        # Ready (no loader left, none waiting) on the folder, whichever asked first.
        qtbot.waitUntil(lambda s=s: s.state is RunState.READY, timeout=LONG)
        assert w.config().dataset == folder and s.view.data.class_names == ("cat", "dog", "fox")
