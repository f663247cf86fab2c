"""Pre-flight (T-60) checks: the prod configuration, the waiver register, the RC artifacts, the owners.

Every check answers a list of `Finding`s, one per rule and subject. A finding names the key or the file it is about
and the cause; it never carries a configuration value, so findings can be logged, rendered and archived as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cutover_gate.core.reasons import Reason


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    WAIVED = "WAIVED"


@dataclass(frozen=True)
class Finding:
    rule: str
    """Stable id, e.g. `cors_restricted`, `secret_present:JWT_SECRET`, `artifact_missing`."""
    subject: str
    """The key or file name the finding is about (never a value)."""
    status: Status
    message: str
    """English sentence naming the key and the cause; never the value."""
    waiver: str | None = None
    """Ticket id when WAIVED, or of an expired waiver that no longer covers the finding."""
    reason: Reason | None = field(default=None, compare=False, repr=False)
    """`message` as a catalogue record (None for a finding given as an English sentence only)."""

    @classmethod
    def of(cls, rule: str, subject: str, status: Status, reason: Reason, waiver: str | None = None) -> Finding:
        """The finding whose message is `reason` (its English is `message`)."""
        return cls(rule, subject, status, reason.text(), waiver, reason)

    @property
    def cause(self) -> Reason:
        """The message as a record: `reason`, or the English sentence shown as given when the finding has none."""
        return self.reason if self.reason is not None else Reason.verbatim(self.message)

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL

    def __str__(self) -> str:
        ticket = f" [{self.waiver}]" if self.waiver else ""
        return f"{self.status.value} {self.rule} ({self.subject}): {self.message}{ticket}"


def overall(findings: Iterable[Finding]) -> Status:
    """FAIL if any finding FAILs, else PASS: a WAIVED finding counts as passing (an empty list is PASS)."""
    return Status.FAIL if any(f.status is Status.FAIL for f in findings) else Status.PASS


__all__ = ["Finding", "Status", "overall"]
