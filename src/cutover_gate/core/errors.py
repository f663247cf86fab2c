"""Errors every stage raises."""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A check of the cutover failed; the message names the cause (never a secret)."""


class UsageError(ValueError):
    """An input the user gave cannot be used (unreadable file, unknown option value, invalid profile...): the run
    stops before sending anything, with pytest's usage exit code and one message."""
