"""Commands to a running Trainer, from any thread.

The window's buttons and sliders live in the GUI thread; the training loop lives in
a worker thread. :class:`TrainingControl` is the only thing they share: the GUI
side calls :meth:`pause`, :meth:`set` and friends, the Trainer polls it between
batches. Hyperparameter changes are coalesced (the latest value wins), so a slider
dragged through a hundred positions costs the loop one change, not a hundred.

Polling costs the loop one attribute read per batch: every command raises
:attr:`needs_attention`, and only then does the Trainer take the lock to see what
was asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from core.errors import ConfigError
from core.training.config import Config

#: Settings that may change while training runs; anything else waits for Reset.
LIVE_SETTINGS = ("learning_rate", "batch_size", "hidden")


def _checked(name: str, value: Any) -> Any:
    """``value`` for live setting ``name``, checked in the caller's thread."""
    if name not in LIVE_SETTINGS:
        raise ConfigError(
            f"{name}: cannot change while training; live settings are "
            f"{', '.join(LIVE_SETTINGS)} (others apply on Reset)"
        )
    return Config.check_value(name, value)


class TrainingControl:
    """Thread-safe pause / resume / step (an epoch or a batch) / stop and live changes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._stop = False
        self._step = False
        self._step_batch = False
        self._pending: dict[str, Any] = {}
        self._scheduled: dict[int, dict[str, Any]] = {}
        self._calls: list[tuple[Callable[[Any], Any], Future]] = []
        #: Raised (under the lock) by every command; lowered by :meth:`acknowledge`.
        self._attention = False

    # -- commands (any thread) ------------------------------------------------
    def _command(self, **flags: bool) -> None:
        """Set the loop's flags under the lock, raise attention and wake a paused loop."""
        with self._cond:
            for name, value in flags.items():
                setattr(self, f"_{name}", value)
            self._attention = True
            self._cond.notify_all()

    def pause(self) -> None:
        """Hold the loop at the next batch boundary."""
        self._command(paused=True)

    def resume(self) -> None:
        """Let a paused loop go on."""
        self._command(paused=False, step=False, step_batch=False)

    def step_epoch(self) -> None:
        """Run exactly one more epoch, then pause."""
        self._command(step=True, step_batch=False, paused=False)

    def step_batch(self) -> None:
        """Run exactly one more mini-batch, then pause."""
        self._command(step_batch=True, step=False, paused=False)

    def stop(self) -> None:
        """End the run at the next batch boundary (also wakes a paused loop)."""
        self._command(stop=True)

    def set(self, name: str, value: Any) -> None:
        """Ask for a live change of ``name`` (one of :data:`LIVE_SETTINGS`).

        The value is validated here, in the caller's thread, so a bad value is
        refused where it was typed rather than inside the training loop.
        """
        value = _checked(name, value)
        with self._cond:
            self._pending[name] = value
            self._attention = True
            self._cond.notify_all()  # a paused loop applies it at once

    def at_epoch(self, epoch: int, name: str, value: Any) -> None:
        """Change ``name`` to ``value`` before the first batch of epoch ``epoch`` (0-based).

        What a lesson asks for ("cut the rate when epoch 3 begins"): the change waits
        here and the Trainer applies it when that epoch starts (:meth:`begin_epoch`),
        exactly as if :meth:`set` had been called then, however far behind the
        caller's thread is. Checked here, like :meth:`set`; a later call for the same
        epoch and setting replaces the value.
        """
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ConfigError(f"epoch: {epoch!r} is not an epoch number (0 or more)")
        value = _checked(name, value)
        with self._cond:
            self._scheduled.setdefault(epoch, {})[name] = value

    def set_learning_rate(self, lr: float) -> None:
        """Live learning rate, from the next batch."""
        self.set("learning_rate", float(lr))

    def set_batch_size(self, n: int) -> None:
        """Live batch size, from the next batch."""
        self.set("batch_size", int(n))

    def set_hidden_size(self, n: int, layer: int = 0) -> None:
        """Live width of hidden layer ``layer``, applied through ``resize_hidden``."""
        with self._cond:
            current = self._pending.get("hidden")
        widths = list(current) if current is not None else [None] * (layer + 1)
        while len(widths) <= layer:
            widths.append(None)
        widths[layer] = int(n)
        Config.check_value("hidden", tuple(w if w is not None else 1 for w in widths))
        with self._cond:
            self._pending["hidden"] = tuple(widths)
            self._attention = True
            self._cond.notify_all()

    def submit(self, fn: Callable[[Any], Any]) -> Future:
        """Run ``fn(trainer)`` in the training thread at the next batch boundary.

        This is how another thread reads or saves the live model without racing
        the loop (it also runs while paused). The returned future holds the
        result or the exception; it completes in the training thread.
        """
        fut: Future = Future()
        with self._cond:
            self._calls.append((fn, fut))
            self._attention = True
            self._cond.notify_all()
        return fut

    # -- state (any thread) ---------------------------------------------------
    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    @property
    def stopped(self) -> bool:
        with self._cond:
            return self._stop

    # -- the Trainer's side ---------------------------------------------------
    @property
    def needs_attention(self) -> bool:
        """Whether a command came since the last :meth:`acknowledge` (a plain read, no lock).

        A command given while the Trainer looks is seen at its next look, one
        batch later at most.
        """
        return self._attention

    def acknowledge(self) -> None:
        """The Trainer is about to look at everything: lower :attr:`needs_attention`.

        Called before the look, so a command that lands during it raises the flag again.
        """
        with self._cond:
            self._attention = False

    def take_changes(self) -> dict[str, Any]:
        """Pending live changes, emptied. ``hidden`` is a tuple where ``None`` means 'keep'."""
        with self._cond:
            changes, self._pending = self._pending, {}
            return changes

    def take_calls(self) -> list[tuple[Callable[[Any], Any], Future]]:
        """Calls submitted since the last look, emptied (the Trainer runs them)."""
        with self._cond:
            calls, self._calls = self._calls, []
            return calls

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; return False if a stop was asked for.

        It also returns when a call is submitted or a live change is asked for (the
        Trainer runs or applies it and waits again), and, with a ``timeout``, after
        at most that many seconds.
        """
        with self._cond:
            if self._paused and not self._stop:
                self._cond.wait_for(
                    lambda: (
                        not self._paused or self._stop or bool(self._calls) or bool(self._pending)
                    ),
                    timeout,
                )
            return not self._stop

    def begin_epoch(self, epoch: int) -> None:
        """Called by the Trainer as epoch ``epoch`` starts: its scheduled changes become pending.

        They are then applied before its first batch, with :attr:`needs_attention`
        raised like any command.
        """
        with self._cond:
            due = self._scheduled.pop(epoch, None)
            if due:
                self._pending.update(due)
                self._attention = True

    def take_batch_step(self) -> bool:
        """Called by the Trainer before a batch; True when a one-batch Step starts with it.

        The loop then runs that batch and holds before the next one: the control is
        paused already and raises :attr:`needs_attention` so the loop looks again.
        """
        with self._cond:
            if not self._step_batch:
                return False
            self._step_batch = False
            self._paused = True
            self._attention = True
            return True

    def epoch_boundary(self) -> bool:
        """Called by the Trainer after each epoch; True when a Step just finished (now paused)."""
        with self._cond:
            if self._step:
                self._step = False
                self._paused = True
                self._attention = True
                return True
            return False
