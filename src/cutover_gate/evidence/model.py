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
    """One Gherkin step's outcome, as the scribe logs it."""

    nodeid: str
    step: str
    line: str | None
    status: StepStatus
    at: str
    message: str = ""

    def __post_init__(self) -> None:
        self.status = StepStatus(self.status)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}


@dataclass
class TriggerObservation(JsonRecord):
    """A rollback-matrix row observed, with the time the IC must decide by."""

    row: str
    action: Action
    observed_at: str
    decide_by: str
    evidence: str
    line: str | None = None

    def __post_init__(self) -> None:
        self.action = Action(self.action)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "action": self.action.value}

    @classmethod
    def observe(cls, row: str, action: Action | str, evidence: str, line: str | None, at: datetime | None = None
                ) -> TriggerObservation:
        when = at or utcnow()
        return cls(row=row, action=Action(action), observed_at=iso(when), decide_by=iso(when + DECIDE_WITHIN),
                   evidence=evidence, line=line)


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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = self.result.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineResult:
        data = dict(data)
        data["result"] = Result(data["result"])
        return cls(**data)
