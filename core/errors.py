"""The errors we raise on purpose.

Every failure a person can cause (a bad file, a bad value, a bad checkpoint) ends in
one of these, with a message written for that person. Anything else escaping is a
bug. They all derive from :class:`BackpropError`, so a caller (the CLI, the window)
can catch "our" errors in one place and show them as they are.
"""

from __future__ import annotations


class BackpropError(Exception):
    """Base of every error Backprop Studio raises deliberately."""


class ConfigError(BackpropError, ValueError):
    """A setting is out of range or of the wrong kind; the message names the field."""


class DataError(BackpropError):
    """A data file is missing, corrupt, truncated or not what it claims to be."""


class DatasetUnavailable(DataError):
    """No copy of a dataset could be found or downloaded; the message lists where we looked."""


class CheckpointError(BackpropError):
    """A checkpoint cannot be written or read back; the message says what is wrong."""


class TimelineError(CheckpointError):
    """A run's recorded timeline cannot be written or read back, or holds no such moment.

    A kind of :class:`CheckpointError`: the timeline is a run's saved states, and a
    caller that handles a bad checkpoint handles a bad timeline the same way.
    """


class Cancelled(BackpropError):
    """A long computation (a loss landscape) was stopped on request before it finished."""


class SettingsError(BackpropError):
    """Stored settings are unreadable or hold values we cannot use."""


class TrainingError(BackpropError):
    """Training cannot go on (for example, a command that does not fit the model)."""
