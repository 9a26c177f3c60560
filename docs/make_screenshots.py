"""Screenshots of every tab of the studio, light and dark, at two sizes, in four states.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py

The real window, driven through its session on MNIST (found through BACKPROP_DATA,
else ../shared/datasets), is grabbed at 1280x800 and 1920x1080, in light and dark,
on every tab, in four states:

- ``empty``: the dataset loaded, nothing trained yet;
- ``training``: a run from its fourth epoch on, its hidden layer widened from 128 to
  192 while it trained (it trains on while the tabs are grabbed, so each picture
  shows a later epoch than the one before);
- ``finished``: a second run that completed its epochs (momentum, a rate cut half way),
  with a confusion cell clicked, a mistake selected and a digit drawn;
- ``diverged``: a third run whose learning rate was raised to 40 after three epochs.

Every picture goes into ``--out`` (default ``docs/screens/``, which git ignores) as
``<state>/<tab>-<theme>-<width>x<height>.png``, plus the unit popover and the help
popover on their own; the few the README shows are copied into ``docs/``. It takes
a minute or two.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from studio import ROOT, Studio, three

SIZES = ((1280, 800), (1920, 1080))
THEMES = ("light", "dark")
#: The pictures the README shows: (state, tab, theme, size) -> name in docs/.
README = {
    ("training", "training", "light", (1280, 800)): "window-1280x800.png",
    ("finished", "training", "dark", (1920, 1080)): "window-1920x1080-dark.png",
    ("empty", "training", "light", (1280, 800)): "window-empty.png",
    ("finished", "draw", "light", (1280, 800)): "canvas.png",
    ("finished", "health", "dark", (1280, 800)): "health.png",
    ("finished", "runs", "light", (1280, 800)): "compare.png",
    ("popover", "unit-popover.png"): "unit-popover.png",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "screens"), help="folder for every shot")
    p.add_argument("--docs", default=str(ROOT / "docs"), help="folder for the README's shots")
    args = p.parse_args(argv)
    studio = Studio(args.out, epochs=60)
    import numpy as np

    from gui.main_window import TABS
    from gui.session import RunState

    app, window, settle = studio.app, studio.window, studio.settle
    window.set_theme("light")
    session = window.session
    out, docs = Path(args.out), Path(args.docs)
    written: dict[tuple, Path] = {}
    began = time.monotonic()

    def shots(state: str) -> None:
        """Every tab, in both themes and at both sizes, as the window is now."""
        for w, h in SIZES:
            window.setGeometry(0, 0, w, h)
            for theme in THEMES:
                window.set_theme(theme)
                for i, tab in enumerate(TABS):
                    window.tabs.setCurrentIndex(i)
                    settle(0.45)
                    path = out / state / f"{tab.lower()}-{theme}-{w}x{h}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    image = window.grab()
                    if (image.width(), image.height()) != (w, h):
                        print(f"{path.name}: the window is {image.width()}x{image.height()}")
                    image.save(str(path))
                    written[(state, tab.lower(), theme, (w, h))] = path
        window.tabs.setCurrentIndex(0)
        took = time.monotonic() - began
        print(f"{state}: {len(SIZES) * len(THEMES) * len(TABS)} shots ({took:.0f} s)")

    def popover(name: str, open_it: Callable[[], object]) -> None:
        window.setGeometry(0, 0, 1280, 800)
        settle(0.4)
        open_it()
        settle(0.5)
        image = window.screen().grabWindow(0, 0, 0, 1280, 800)
        image.save(str(out / name))
        written[("popover", name)] = out / name
        app.activePopupWidget() and app.activePopupWidget().close()
        settle(0.2)

    if not studio.ready():
        return 1
    shots("empty")
    popover("help-popover.png", lambda: window.curves.loss_header.open_help())

    # A run that trains while it is grabbed, widened from 128 to 192 units on the way.
    window.start()
    settle(120, lambda: session.view.epochs_done >= 2)
    window.controls.set_hidden(192)
    settle(120, lambda: session.view.epochs_done >= 3)
    # The pictures are paced (a few a second, fewer when the window is busy): let them
    # catch up with the curves before the first shot.
    settle(10, lambda: (window.confusion.shown_epoch() or 0) >= session.view.epochs_done)
    shots("training")
    window.stop()
    settle(60, lambda: session.state is RunState.FINISHED)

    # A second run that completes: momentum, the rate cut half way.
    window.reset()
    session.edit("optimizer", "momentum")
    session.edit("learning_rate", 0.05)
    session.edit("epochs", 8)
    window.start()
    settle(120, lambda: session.view.epochs_done >= 4)
    session.edit("learning_rate", 0.01)
    settle(180, lambda: session.state is RunState.FINISHED)
    m = window.confusion.matrix()
    off = m - np.diag(np.diag(m))
    true, pred = np.unravel_index(int(off.argmax()), off.shape)
    window.confusion.click_cell(int(true), int(pred))
    window.gallery.select_tile(0)
    window.canvas.saliency_button.setChecked(True)
    window.canvas.draw_stroke(three())
    shots("finished")
    popover("unit-popover.png", lambda: window.weights.click_unit(7))

    # A third run whose learning rate is raised until the loss blows up.
    window.reset()
    session.edit("optimizer", "sgd")
    session.edit("learning_rate", 0.1)
    session.edit("epochs", 20)
    window.start()
    settle(120, lambda: session.view.epochs_done >= 3)
    session.edit("learning_rate", 40.0)
    settle(120, lambda: session.state is RunState.DIVERGED)
    shots("diverged")

    docs.mkdir(parents=True, exist_ok=True)
    for key, name in README.items():
        shutil.copyfile(written[key], docs / name)
        print(f"README: {docs / name}")
    studio.close()
    print(f"{len(written)} pictures in {out} in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
