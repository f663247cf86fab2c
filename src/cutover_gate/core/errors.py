"""Errors every stage raises."""

from __future__ import annotations

from cutover_gate.core.reasons import Reason


class CheckFailed(AssertionError):
    """A check of the cutover failed; the message names the cause (never a secret).

    The message is a catalogue message (marked `N_()` where it is written, its values as `params` filled into its
    `%(name)s` placeholders) or a `Reason`: the reports say it in the run's language, `str()` in English.
    """

    def __init__(self, message: str | Reason, /, **params: object) -> None:
        self.reason = Reason.of(message, **params)
        super().__init__(self.reason.text())


class UsageError(ValueError):
    """An input the user gave cannot be used (unreadable file, unknown option value, invalid profile...): the run
    stops before sending anything, with pytest's usage exit code and one message."""
