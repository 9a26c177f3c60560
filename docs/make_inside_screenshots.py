"""Screenshots of the Inside tab and of a lesson for the README, made from the real window.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_inside_screenshots.py

Trains the default network on MNIST (found through BACKPROP_DATA, else
../shared/datasets) for a few epochs, holds, takes the gallery's most confident
mistake inside and grabs the window at a forward step (A1 = ReLU(Z1): which units
fire, on their templates; docs/inside-forward.png) and at a backward step (dW1 = Xᵀ dZ1:
the update images, after "Learn from this digit" at ten times the digit's share of a
batch step; docs/inside-backward.png). Then, in a new window, it takes the lesson
"How big a step?", answers it, runs it to the end and grabs the window with the
lesson's result beside the Runs tab, where its three runs are named and coloured
(docs/lesson.png).
"""

from __future__ import annotations

import argparse
import sys

from studio import ROOT, Studio


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs"), help="folder for the README's pictures")
    p.add_argument("--epochs", type=int, default=4, help="epochs to train before looking inside")
    args = p.parse_args(argv)
    studio = Studio(args.out, epochs=20)
    if not studio.ready():
        return 1
    from core.lessons import LESSONS_DIR, load_lesson
    from gui.session import RunState

    window, settle, shot = studio.window, studio.settle, studio.shot
    session, inside = window.session, window.inside
    window.start()
    settle(300, lambda: session.view.epochs_done >= args.epochs - 1)
    window.step()  # finish this epoch, then hold: every view shows the same one
    settle(60, lambda: session.state is RunState.PAUSED)

    window.gallery.select_tile(0)  # the most confident mistake
    window.gallery.look_button.click()
    settle(30, lambda: inside.traced is not None and not inside.tracer.busy)
    symbols = [s.step.symbol for s in inside.traced.pictures]
    inside.walker.go(symbols.index("A1"))
    shot("inside-forward.png")

    inside.walker.go(symbols.index("dW1"))
    inside.learn.size_choice.setCurrentIndex(1)  # ten times the digit's share
    inside.learn.learn_button.click()
    settle(30, lambda: inside.learned is not None)
    shot("inside-backward.png")

    window.close()
    settle(5, lambda: not window.training)
    window = studio.new_window()
    if not studio.ready():
        return 1
    lesson = load_lesson(LESSONS_DIR / "01-step-size.toml")
    window.open_lesson(lesson)
    window.lesson_panel.choose(lesson.answer)
    if not window.run_lesson():
        print("the lesson did not start", file=sys.stderr)
        return 1
    settle(600, lambda: not window.lesson_panel.running)
    window.tabs.setCurrentWidget(window.runs)
    shot("lesson.png")
    studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
