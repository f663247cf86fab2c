"""Go-live cutover gate: the runbook's checks as a pytest plugin that decides GO / NO-GO."""

from __future__ import annotations

__version__ = "0.1.0"


class GateWarning(UserWarning):
    """Warnings of the gate itself; the project's test configuration turns them into errors."""
