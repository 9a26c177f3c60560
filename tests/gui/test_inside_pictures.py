"""The Inside tab's pictures for any network: every step drawn, every cell reading its number."""

from __future__ import annotations

import numpy as np
import pytest

from core import trace
from core.nn.model import MLP
from gui.views.inside_pictures import steps_pictures
from gui.views.inside_text import explain
from tests.gui.test_inside import check_readout

NAMES = tuple("0123456789")


@pytest.mark.parametrize(
    ("hidden", "activation", "shape"),
    [
        ((), "relu", (8, 8)),  # softmax regression: W1's columns are the classes
        ((12,), "relu", (8, 8)),
        ((9, 7), "tanh", (8, 8)),
        ((6,), "leaky_relu", (4, 4, 3)),  # a colour image: channels averaged in the pictures
    ],
)
def test_every_step_of_any_network_has_its_pictures_and_readouts(hidden, activation, shape):
    n_in = int(np.prod(shape))
    model = MLP((n_in, *hidden, 10), activation=activation, seed=3)
    x = np.random.default_rng(0).random(n_in).astype(np.float32)
    t = trace(model, x, 4)
    shown = steps_pictures(t, shape, NAMES)
    assert [p.step.equation for p in shown] == [s.equation for s in t.steps()]
    for p in shown:
        np.testing.assert_array_equal(np.asarray(p.result.array), np.asarray(p.step.value))
        assert explain(p.step, t, NAMES)
        for picture in p.all:
            if len(shape) == 2 or picture.layout not in ("pixels", "tiles"):
                check_readout(picture)  # a colour image reads its channels' mean
            if picture.kind == "image":
                assert picture.rgba.shape == (*picture.values.shape, 4)
                assert picture.rgba.dtype == np.uint8
    symbols = {p.step.symbol: p for p in shown}
    L = len(hidden) + 1
    assert symbols[f"Z{L}"].result.kind == "bars" and symbols["P"].result.kind == "bars"
    assert symbols["Z1"].operands[1].layout == "tiles"  # W1 as templates
    if hidden:
        firing = symbols["A1"].extra
        assert firing is not None and firing.name == "A1 on W1"
        silent = np.flatnonzero(t.A[0] <= 0)
        assert f"{t.A[0].size - silent.size} of {t.A[0].size} units fire" in firing.caption
        update = symbols["dW1"].extra
        np.testing.assert_array_equal(update.array, -t.dW[0])


def test_a_silent_unit_is_grey_and_a_firing_one_shows_its_template():
    model = MLP((16, 8, 10), seed=0)
    x = np.random.default_rng(1).random(16).astype(np.float32)
    t = trace(model, x, 2)
    firing = next(p for p in steps_pictures(t, (4, 4), NAMES) if p.step.symbol == "A1").extra
    a1 = np.asarray(t.A[0])
    th, tw = firing.tile
    for unit in range(a1.size):
        row, col = divmod(unit, firing.cols)
        tile = firing.rgba[
            row * (th + 1) : row * (th + 1) + th, col * (tw + 1) : col * (tw + 1) + tw
        ]
        alpha = int(tile[0, 0, 3])
        if a1[unit] <= 0:
            assert (tile[..., :3] == 150).all() and alpha < 100
        else:
            assert alpha >= 90 and not (tile[..., :3] == 150).all()
        assert firing.value_at(col * (tw + 1) + 0.5, row * (th + 1) + 0.5) == pytest.approx(
            float(a1[unit])
        )
