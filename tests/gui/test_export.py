"""Exports write files that read back as what the views showed."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from core.training.events import EpochReport, Snapshot
from gui import export
from gui.shared.bus import EventBus
from gui.views.confusion import ConfusionView
from gui.views.curves import CurvesView
from gui.views.gallery import GalleryView
from tests.gui._events import emit_all, real_run


@pytest.fixture
def views(qtbot, digits):
    bus = EventBus()
    curves, confusion, gallery = CurvesView(bus), ConfusionView(bus), GalleryView(bus)
    for w in (curves, confusion, gallery):
        qtbot.addWidget(w)
        w.resize(600, 400)
        w.show()
    events = real_run(digits)
    emit_all(bus, events)
    return curves, confusion, gallery, events


def test_history_csv_has_a_row_per_epoch(views, tmp_path):
    curves, _, _, events = views
    reports = [ev for ev in events if isinstance(ev, EpochReport)]
    path = export.history_csv(tmp_path / "history.csv", curves.history_rows())
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(reports)
    for row, rep in zip(rows, reports, strict=True):
        assert int(row["epoch"]) == rep.epoch
        assert float(row["val_acc"]) == pytest.approx(rep.val_acc)
        assert row["architecture"] == "-".join(map(str, rep.architecture))


def test_plots_export_as_png_of_the_asked_width_and_as_svg(views, tmp_path):
    curves, confusion, _, _ = views
    loss = curves.plot_widgets()[0]
    png = export.plot_image(loss, tmp_path / "loss.png", width=640)
    img = QImage(str(png))
    assert not img.isNull() and img.width() == 640
    assert img.height() == pytest.approx(640 * loss.height() / loss.width(), abs=2)
    default = QImage(str(export.plot_image(loss, tmp_path / "same.png")))
    assert default.width() == loss.width()
    # Plots found inside any view, e.g. the confusion matrix's layout widget.
    (_name, view), *_ = export.plots_in(confusion)
    svg = export.plot_image(view, tmp_path / "confusion.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    drawn = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("path", "polyline", "image")]
    assert len(drawn) > 10  # axes, ticks and the cells, as vectors or pictures
    assert {n for n, _ in export.plots_in(curves)} == {"Loss curves", "Accuracy curves"}


def test_svg_axes_are_text_though_the_screen_draws_them_from_pixmaps(views, tmp_path):
    curves, _, _, _ = views
    loss = curves.plot_widgets()[0]
    root = ET.parse(export.plot_image(loss, tmp_path / "loss.svg")).getroot()
    texts = [(e.text or "").strip() for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "text"]
    numbers = [t for t in texts if t.replace(".", "", 1).isdigit()]
    assert len(numbers) >= 8  # both axes' tick labels, as text
    axis = loss.getPlotItem().getAxis("bottom")
    assert axis.cacheMode() != axis.CacheMode.NoCache  # the screen still uses the cache


def test_confusion_csv_reads_back_as_the_snapshot(views, tmp_path):
    _, confusion, _, events = views
    snap = [ev for ev in events if isinstance(ev, Snapshot)][-1]
    path = export.confusion_csv(tmp_path / "cm.csv", confusion.matrix(), snap.class_names)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == list(snap.class_names)
    matrix = np.array([[int(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(matrix, snap.confusion)


def test_gallery_sheet_png(views, tmp_path):
    _, _, gallery, _ = views
    sheet = gallery.grab_sheet()
    img = QImage(str(export.image_file(sheet, tmp_path / "gallery.png")))
    assert (img.width(), img.height()) == (sheet.width(), sheet.height())
    assert gallery.tile_count() > 0


def test_dialog_writes_the_chosen_item_and_reports_failures(views, tmp_path, qtbot):
    curves, confusion, _, _ = views
    targets = [
        export.Target(
            "History (CSV)",
            "CSV (*.csv)",
            "history.csv",
            lambda p: export.history_csv(p, curves.history_rows()),
        ),
        export.Target(
            "Confusion matrix (CSV)",
            "CSV (*.csv)",
            "cm.csv",
            lambda p: export.confusion_csv(p, confusion.matrix()),
        ),
    ]
    dialog = export.ExportDialog(targets, tmp_path)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(1)
    written = dialog.export_current(tmp_path / "out.csv")
    assert written == tmp_path / "out.csv" and written.is_file()
    assert "Wrote" in dialog.message()
    assert dialog.export_current(tmp_path / "missing" / "deeper" / "out.csv") is None
    assert "cannot export" in dialog.message()


def test_the_window_exports_a_finished_run(make_window, qtbot, tmp_path):
    from tests.gui._window import window_config

    w = make_window(window_config(epochs=3, hidden=(16,)))
    with qtbot.waitSignal(w.bus.finished, timeout=20_000):
        w.start()
    dialog = w.export_dialog()
    qtbot.addWidget(dialog)
    names = [t.name for t in dialog.targets]
    assert any(n.startswith("History") for n in names)
    assert any("Health" in n for n in names) and "Loss curves (PNG or SVG)" in names
    assert len(names) == len(set(names))  # each plot once, under a name a person reads
    assert not any(n.split(" (")[0].split()[-1].isdigit() for n in names)  # no "plot 3"

    dialog.list.setCurrentRow(names.index("History, one row per epoch (CSV)"))
    with open(dialog.export_current(tmp_path / "h.csv"), newline="") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2]
    dialog.list.setCurrentRow(names.index("Confusion matrix counts (CSV)"))
    with open(dialog.export_current(tmp_path / "cm.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert np.array_equal(
        np.array([[int(v) for v in r[1:]] for r in rows[1:]]), w.confusion.matrix()
    )
    # The Health tab was never shown: exporting its PCA map draws the map first.
    assert w.health.dots_drawn() == 0
    pca = next(n for n in names if n.startswith("Health: map of the last hidden layer"))
    dialog.list.setCurrentRow(names.index(pca))
    assert not QImage(str(dialog.export_current(tmp_path / "pca.png"))).isNull()
    assert w.health.dots_drawn() > 0
    dialog.list.setCurrentRow(names.index("Accuracy curves (PNG or SVG)"))
    img = QImage(str(dialog.export_current(tmp_path / "acc.png")))
    assert img.width() == w.curves.plot_widgets()[1].width()
    assert dialog.folder == tmp_path
    dialog.accept()
    assert w.checkpoint_dir == tmp_path  # the next dialog opens where this one wrote
