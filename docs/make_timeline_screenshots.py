"""Screenshots of the timeline in the window: a look back, a fork, the loss landscape.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_timeline_screenshots.py

The window opens fitted to the screen, on MNIST (found through BACKPROP_DATA, else
../shared/datasets), trains the default network for 30 epochs (its runs recorded
into a temporary folder, removed at the end), then grabs, as a person sees it:

    docs/timeline-scrub.png      the Training tab scrubbed back to the first epoch while
                                 the run trains on: every view at epoch 1, the curves'
                                 cursor, the bar saying so
    docs/timeline-fork.png       the curves after "Continue from here" at epoch 3 with a
                                 higher learning rate: the branch leaving the original
    docs/timeline-landscape.png  the Timeline tab: what changed between epoch 1 and the
                                 end, and the loss landscape with the run's path

``--size WxH`` resizes the window first (the same pictures at another size, to look at).
"""

from __future__ import annotations

import argparse
import sys

from studio import ROOT, Studio


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs"), help="folder for the pictures")
    p.add_argument("--epochs", type=int, default=30, help="epochs the first run trains")
    p.add_argument("--fork-at", type=int, default=3, help="the epoch the fork starts from")
    p.add_argument("--size", default="", help="resize the window to WxH first")
    args = p.parse_args(argv)
    studio = Studio(args.out, args.size, epochs=args.epochs)
    window, session, settle, shot = studio.window, studio.session, studio.settle, studio.shot
    from gui.session import RunState

    def after(epochs: int) -> int | None:
        moments = session.view.timeline.moments
        found = [i for i, m in enumerate(moments) if m.batch == 0 and m.epoch == epochs]
        return found[-1] if found else None

    if not studio.ready():
        return 1

    # Scrubbed back to the first epoch while the run trains on.
    window.start()
    settle(600, lambda: after(3) is not None)
    first = after(1)
    window.timeline_bar.slider.setValue(first)  # as a drag leaves it
    settle(60, lambda: session.view.timeline.shown == first)
    shot("timeline-scrub.png")
    if not session.state.live:
        print("the run ended before the picture: give it more --epochs", file=sys.stderr)
        return 1

    # The run ends; a fork from epoch 3 with a higher rate branches off it.
    settle(600, lambda: session.state is RunState.FINISHED)
    settle(30, lambda: after(args.epochs) is not None)
    window.tabs.setCurrentWidget(window.timeline_split)
    window.what_changed.pick(first, after(args.epochs))
    window.what_changed.compare()
    window.landscape.compute()
    settle(120, lambda: window.landscape.landscape() is not None)
    settle(60, lambda: window.what_changed.result() is not None)
    session.view_moment(after(args.fork_at))
    settle(60, lambda: session.view.timeline.shown == after(args.fork_at))
    shot("timeline-landscape.png")

    window.tabs.setCurrentIndex(0)
    rate = session.view.settings.learning_rate * 3
    session.continue_from(after(args.fork_at), changes={"learning_rate": rate})
    settle(60, lambda: len(session.view.runs) == 2)
    settle(600, lambda: session.state is RunState.FINISHED)
    settle(30, lambda: after(args.epochs) is not None)
    shot("timeline-fork.png")

    studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
