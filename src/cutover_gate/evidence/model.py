"""Plain data of what a gate run observed: a step's outcome, a checklist line's result, a rollback trigger.

Every record crosses the xdist boundary and the cutover record as JSON, through its own `to_json` / `from_json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from cutover_gate.core.catalogue import DECIDE_WITHIN, Action
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.reasons import Reason


class Result(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    WAIVED = "WAIVED"
    NOT_RUN = "NOT_RUN"

    @property
    def ok(self) -> bool:
        return self in (Result.PASS, Result.WAIVED)

    @classmethod
    def stated(cls, value: Any) -> Result:
        """A result as a record (a decision.json) states it; one it does not state, or unknown here, is NOT_RUN."""
        try:
            return cls(value)
        except ValueError:
            return cls.NOT_RUN


class StepStatus(StrEnum):
    """How a Gherkin step ended."""

    PASS = "PASS"
    FAIL = "FAIL"


class JsonRecord:
    """A dataclass that crosses process and run boundaries as a flat JSON object."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


@dataclass
class StepRecord(JsonRecord):
    """One Gherkin step's outcome, as the scribe logs it: `message` in English, `reason` the record it says (None
    for a record written without one: its message is shown as given)."""

    nodeid: str
    step: str
    line: str | None
    status: StepStatus
    at: str
    message: str = ""
    reason: Reason | None = None

    def __post_init__(self) -> None:
        self.status = StepStatus(self.status)
        if self.reason is not None and not isinstance(self.reason, Reason):
            self.reason = Reason.from_json(self.reason)

    def said(self, lang: str = "en") -> str:
        return said(self.reason, self.message, lang)

    def to_json(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "step": self.step, "line": self.line, "status": self.status.value,
                "at": self.at, "message": self.message, **reason_json(self.reason)}


def reason_json(reason: Reason | None) -> dict[str, Any]:
    """A record's `reason` key: its record, or no key at all when it has none (a record written before reasons, or
    without one, is written back as it was read)."""
    return {"reason": reason.to_json()} if reason is not None else {}


def said(reason: Reason | None, message: str, lang: str) -> str:
    """A record's message in `lang`: its reason's words, or the English message when it has no reason."""
    return reason.text(lang) if reason is not None else message


@dataclass
class TriggerObservation(JsonRecord):
    """A rollback-matrix row observed, with the time the IC must decide by: `evidence` in English, `reason` the
    record it was said from (None: the evidence is shown as given)."""

    row: str
    action: Action
    observed_at: str
    decide_by: str
    evidence: str
    line: str | None = None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        self.action = Action(self.action)
        if self.reason is not None and not isinstance(self.reason, Reason):
            self.reason = Reason.from_json(self.reason)

    def said(self, lang: str = "en") -> str:
        return said(self.reason, self.evidence, lang)

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "action": self.action.value, "observed_at": self.observed_at,
                "decide_by": self.decide_by, "evidence": self.evidence, "line": self.line, **reason_json(self.reason)}

    @classmethod
    def observe(cls, row: str, action: Action | str, evidence: str, line: str | None, at: datetime | None = None,
                reason: Reason | None = None) -> TriggerObservation:
        when = at or utcnow()
        return cls(row=row, action=Action(action), observed_at=iso(when), decide_by=iso(when + DECIDE_WITHIN),
                   evidence=evidence, line=line, reason=reason)


@dataclass
class LineResult:
    id: str
    result: Result
    at: str | None = None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    nodeids: list[str] = field(default_factory=list)
    release_sha: str | None = None
    """The release the result was measured for; results of another release never count."""
    run_id: str | None = None
    run_seq: int | None = None
    """The run's number in the release's record: freshness is judged by it (see evidence/history.py)."""
    reason: Reason | None = None
    """`message` as a record, said in a report's language (None: the message is shown as given)."""

    def said(self, lang: str = "en") -> str:
        return said(self.reason, self.message, lang)

    def to_json(self) -> dict[str, Any]:
        data = {name: value for name, value in asdict(self).items() if name != "reason"}
        data["result"] = self.result.value
        return {**data, **reason_json(self.reason)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineResult:
        data = dict(data)
        data["result"] = Result(data["result"])
        reason = data.pop("reason", None)
        return cls(**data, reason=Reason.from_json(reason) if reason else None)
