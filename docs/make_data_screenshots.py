"""Screenshots of the Data tab, the Evaluation tab and a fooled digit, from the real window.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_data_screenshots.py

The window opens fitted to the screen, on MNIST (found through BACKPROP_DATA, else
../shared/datasets) with the affine + elastic augmentation chosen, and trains the
default network for a few epochs. Then it grabs, each from the window as a person
sees it:

    docs/data-tab.png          the Data tab: samples and mean image of every class, the
                               class counts per split, the pixel histogram, the
                               augmentation preview
    docs/evaluation-tab.png    the Evaluation tab after Evaluate: test accuracy per class,
                               the robustness curves, coverage against accuracy at 0.99
    docs/fooled-digit.png      the Draw tab: a hand-drawn 3 made to read as 8

``--size WxH`` resizes the window first (the same pictures at another size, to look at).
"""

from __future__ import annotations

import argparse
import sys

from studio import ROOT, Studio, three


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs"), help="folder for the pictures")
    p.add_argument("--epochs", type=int, default=4, help="epochs to train")
    p.add_argument("--size", default="", help="resize the window to WxH first")
    p.add_argument("--target", type=int, default=8, help="the class the drawn 3 is made to read")
    args = p.parse_args(argv)
    studio = Studio(args.out, args.size, epochs=args.epochs, augment="affine")
    if not studio.ready():
        return 1
    from gui.session import RunState

    window, session, settle, shot = studio.window, studio.session, studio.settle, studio.shot
    window.start()
    settle(600, lambda: session.state is RunState.FINISHED)

    window.tabs.setCurrentWidget(window.data)
    settle(60, lambda: window.data.summary() is not None)
    shot("data-tab.png")

    evaluation = window.evaluation
    window.tabs.setCurrentWidget(evaluation)
    evaluation.evaluate()
    settle(300, lambda: evaluation.evaluation() is not None)
    evaluation.coverage.slider.setValue(200)  # answer only when at least 0.99 sure
    shot("evaluation-tab.png")

    canvas = window.canvas
    window.tabs.setCurrentWidget(canvas)
    canvas.draw_stroke(three())
    canvas.fool.target.setCurrentIndex(args.target)
    canvas.fool.run()
    settle(60, lambda: canvas.fool.result() is not None)
    shot("fooled-digit.png")

    studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
