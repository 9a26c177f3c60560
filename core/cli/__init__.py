"""The command line: train, evaluate and sweep without a window.

    python main.py --headless [options]          train (same as `train`)
    python main.py train [options]               train; --resume CHECKPOINT continues a run
    python main.py evaluate CHECKPOINT           test a saved model (also --evaluate CHECKPOINT)
    python main.py sweep [options]               many settings in parallel

``commands`` parses the arguments and dispatches; ``train``, ``evaluate`` and
``sweep`` hold one command each, ``common`` what they share. Bad arguments or
files end with one ``error: ...`` line on stderr and a non-zero exit code, never
a traceback.
"""

from __future__ import annotations

from core.cli.commands import main

__all__ = ["main"]
