"""CurvesView: per-epoch points, the running loss, change markers and faded runs."""

from __future__ import annotations

import numpy as np
import pytest

from gui.shared.bus import EventBus
from gui.views.curves import CurvesView
from tests.gui._events import batch_progress, emit_all, epoch_report, lr_change, real_run


@pytest.fixture
def view(qtbot):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)
    v.show()  # a hidden view leaves its redraw until it is shown
    return bus, v


def _run(bus: EventBus, epochs: int, batches: int = 20, start: int = 0) -> None:
    for e in range(start, start + epochs):
        for b in range(batches):
            bus.batch.emit(batch_progress(e, b, batches))
        bus.epoch.emit(epoch_report(e))


def test_one_point_per_epoch_on_every_curve(view):
    bus, v = view
    _run(bus, 3)
    for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
        x, y = v.series(name)
        np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
        assert np.all(np.isfinite(y))
    _, acc = v.series("val_acc")
    assert acc[-1] == pytest.approx(100 * epoch_report(2).val_acc)
    rows = v.history_rows()
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    assert rows[0]["architecture"] == "64-16-10"
    assert rows[1]["val_loss"] == pytest.approx(epoch_report(1).val_loss)


def test_running_loss_is_drawn_throttled_at_fractional_epochs(view, qtbot):
    bus, v = view
    for b in range(10):
        bus.batch.emit(batch_progress(0, b, 20))
    item = v.plot_widgets()[0].getPlotItem().listDataItems()[0]
    assert item.xData is None or len(item.xData) == 0  # nothing redrawn per event
    qtbot.waitUntil(lambda: item.xData is not None and len(item.xData) == 10, timeout=1000)
    x, _ = v.series("running_loss")
    np.testing.assert_allclose(x, np.arange(1, 11) / 20)


def test_a_hidden_view_draws_only_once_shown(qtbot):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)
    _run(bus, 2)
    item = v.plot_widgets()[0].getPlotItem().listDataItems()[1]  # train loss
    qtbot.wait(300)
    assert item.xData is None or len(item.xData) == 0
    v.show()
    qtbot.waitUntil(lambda: item.xData is not None and len(item.xData) == 2, timeout=2000)


def test_ranges_grow_in_steps_that_hold_every_point(view, qtbot):
    bus, v = view
    _run(bus, 3)
    v.series("train_loss")  # draws now
    loss_plot, acc_plot = (w.getPlotItem() for w in v.plot_widgets())
    (x0, x1), (ly0, ly1) = loss_plot.viewRange()
    assert x0 <= 0 and 5 <= x1 < 5.3  # three epochs: the axis runs to 5
    for name in ("train_loss", "val_loss", "running_loss"):
        _, y = v.series(name)
        assert ly0 <= np.log10(y.min()) and np.log10(y.max()) <= ly1
    _, acc = v.series("val_acc")
    a0, a1 = acc_plot.viewRange()[1]
    assert a0 <= acc.min() and a1 >= 100
    _run(bus, 9, start=3)  # to epoch 12 in all
    v.series("train_loss")
    assert 20 <= loss_plot.viewRange()[0][1] < 21
    assert acc_plot.viewRange()[0] == loss_plot.viewRange()[0]  # the x axes stay linked


def test_a_zoom_by_the_person_is_kept(view, qtbot):
    bus, v = view
    _run(bus, 3)
    v.series("train_loss")
    loss_plot = v.plot_widgets()[0].getPlotItem()
    loss_plot.getViewBox().sigRangeChangedManually.emit([True, True])
    loss_plot.setXRange(0.5, 1.5, padding=0)
    _run(bus, 30, start=3)
    v.series("train_loss")
    assert loss_plot.viewRange()[0] == pytest.approx([0.5, 1.5])


def test_ranges_shrink_back_when_earlier_runs_are_cleared_or_a_is_pressed(view, qtbot):
    bus, v = view
    _run(bus, 40)
    bus.run_reset.emit()
    _run(bus, 3)
    v.series("train_loss")
    loss_plot = v.plot_widgets()[0].getPlotItem()
    assert loss_plot.viewRange()[0][1] >= 50  # room for the faded 40-epoch run
    v.clear_history()
    assert loss_plot.viewRange()[0][1] < 5.5
    loss_plot.getViewBox().sigRangeChangedManually.emit([True, True])
    loss_plot.setXRange(1, 2, padding=0)
    loss_plot.autoBtn.clicked.emit(loss_plot.autoBtn)  # "A": fit everything again, in steps
    assert 5 <= loss_plot.viewRange()[0][1] < 5.5
    _run(bus, 9, start=3)
    v.series("train_loss")
    assert loss_plot.viewRange()[0][1] >= 20  # and the view steers again


def test_a_faded_run_with_nothing_to_draw_is_not_counted(view):
    _, v = view
    v.add_faded_run([])
    v.add_faded_run(
        [
            {
                "epoch": 0,
                "train_loss": float("nan"),
                "val_loss": float("nan"),
                "train_acc": float("nan"),
                "val_acc": float("nan"),
            }
        ]
    )
    assert v.faded_runs() == 0


def test_running_loss_is_a_moving_average_that_runs_across_epochs(view):
    import dataclasses

    bus, v = view
    for b in range(10):
        bus.batch.emit(dataclasses.replace(batch_progress(0, b, 10), loss=1.0))
    bus.batch.emit(dataclasses.replace(batch_progress(1, 0, 10), loss=2.0, running_loss=2.0))
    _, y = v.series("running_loss")
    np.testing.assert_allclose(y[:10], 1.0, rtol=1e-12)
    assert 1.05 < y[10] < 1.2  # one high batch moves the average a little, not to 2.0


def test_a_change_is_marked_where_it_happened(view):
    bus, v = view
    _run(bus, 1)
    bus.batch.emit(batch_progress(1, 5, 20))
    bus.changed.emit(lr_change(1, 5, 0.1, 0.01))
    assert v.marker_labels() == ["lr 0.1→0.01"]
    loss_plot = v.plot_widgets()[0].getPlotItem()
    lines = [i for i in loss_plot.items if type(i).__name__ == "InfiniteLine"]
    assert [line.value() for line in lines] == [pytest.approx(1.25)]


def test_run_reset_keeps_the_old_run_faded_until_cleared(view):
    bus, v = view
    _run(bus, 2)
    bus.changed.emit(lr_change(1, 5, 0.1, 0.01))
    loss_plot = v.plot_widgets()[0].getPlotItem()
    before = len(loss_plot.listDataItems())
    bus.run_reset.emit()
    assert v.faded_runs() == 1
    assert v.history_rows() == []
    assert v.marker_labels() == []
    assert v.series("val_loss")[0].size == 0
    faded = loss_plot.listDataItems()[before:]
    assert len(faded) == 2  # train and validation loss of the old run, per epoch
    assert all(f.opts["pen"].color().alpha() < 255 for f in faded)
    np.testing.assert_array_equal(faded[1].xData, [1.0, 2.0])
    assert v.legend.entries()[0] == "earlier run"  # named under the plots, not over them
    _run(bus, 1)
    bus.run_reset.emit()  # a second faded run: a legend entry of its own
    assert v.legend.entries()[:2] == ["earlier run", "earlier run"]
    _run(bus, 1)
    assert v.series("val_loss")[0].tolist() == [1.0]
    v.clear_history()
    assert v.faded_runs() == 0
    assert len(loss_plot.listDataItems()) == before


def test_a_divergence_is_marked(view):
    from core.training.events import Diverged

    bus, v = view
    bus.batch.emit(batch_progress(0, 3, 20))
    bus.diverged.emit(
        Diverged(
            epoch=0,
            batch=4,
            learning_rate=5.0,
            loss=float("inf"),
            suggested_lr=0.5,
            message="diverged",
            restored_step=3,
        )
    )
    assert v.marker_labels() == ["diverged at lr 5"]


def test_a_diverged_epoch_does_not_break_the_log_axis(view):
    import dataclasses

    bus, v = view
    bus.epoch.emit(dataclasses.replace(epoch_report(0), train_loss=float("inf")))
    assert v.series("train_loss")[0].size == 0
    assert v.series("val_loss")[0].size == 1


def test_the_real_trainer_stream(view, digits):
    bus, v = view
    emit_all(bus, real_run(digits))
    reports = [e for e in real_run(digits) if type(e).__name__ == "EpochReport"]
    assert [r["epoch"] for r in v.history_rows()] == [r.epoch for r in reports] == [0, 1]
    x, _ = v.series("running_loss")
    assert x.size == sum(type(e).__name__ == "BatchProgress" for e in real_run(digits))
    assert np.all(np.diff(x) > 0) and x[-1] == pytest.approx(2.0)
    assert v.marker_labels() == ["lr 0.1→0.01", "hidden 16→25"]


def test_small_losses_keep_the_loss_axis_title_plain(view):
    """A log axis's labels are the values themselves: no "(x0.001)" scale in its title."""
    import dataclasses

    bus, v = view
    for e in range(3):
        report = epoch_report(e)
        bus.epoch.emit(dataclasses.replace(report, train_loss=0.004 / (e + 1), val_loss=0.006))
    v.draw_now()
    axis = v.plot_widgets()[0].getPlotItem().getAxis("left")
    assert "x0" not in axis.labelString() and "cross-entropy" in axis.labelString()
