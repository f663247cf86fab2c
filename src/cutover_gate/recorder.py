"""What a running scenario records: step outcomes, evidence and triggers, attributed to checklist lines.

This side runs wherever the test runs (an xdist worker, or the only process). The record travels to the controller
attached to the test report (see plugin.py), where collect.py turns it into line results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from .catalogue import LINES_BY_ID, TRIGGERS_BY_ID
from .model import TriggerObservation, iso, utcnow
from .secrets import REDACTOR

RECORD = pytest.StashKey[dict[str, Any]]()
LINE_ATTR = "__cutover_line__"
MAX_HTTP = 60

F = TypeVar("F", bound=Callable[..., Any])


def proves(line: str) -> Callable[[F], F]:
    """Attribute a step function to a checklist line (innermost decorator, below @given/@when/@then)."""
    if line not in LINES_BY_ID:
        raise ValueError(f"unknown checklist line '{line}'")

    def mark(func: F) -> F:
        setattr(func, LINE_ATTR, line)
        return func

    return mark


def new_record(lines: list[str]) -> dict[str, Any]:
    return {"lines": lines, "steps": [], "evidence": {}, "triggers": [], "http": [], "current_line": None}


def record_of(item: pytest.Item) -> dict[str, Any]:
    rec = item.stash.get(RECORD, None)
    if rec is None:
        rec = new_record([])
        item.stash[RECORD] = rec
    return rec


def step_line(rec: dict[str, Any], step_func: Callable[..., Any] | None) -> str | None:
    declared = getattr(step_func, LINE_ATTR, None) if step_func is not None else None
    if declared:
        return str(declared)
    lines = rec["lines"]
    return str(lines[0]) if len(lines) == 1 else None


def step_text(step: Any) -> str:
    keyword = getattr(step, "keyword", "") or ""
    return f"{keyword.strip()} {step.name}".strip()


def add_step(rec: dict[str, Any], nodeid: str, step: Any, line: str | None, status: str, message: str = "") -> None:
    rec["steps"].append({"nodeid": nodeid, "step": REDACTOR.scrub(step_text(step)), "line": line, "status": status,
                         "at": iso(utcnow()), "message": REDACTOR.scrub(message)[:1000]})


def failure_message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        # keep the sentence, not pytest's rewritten-expression explanation
        first = text.split("\nassert ")[0].strip()
        return first or "assertion failed"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Evidence:
    """What steps write down for the sign-off: values per line, observed triggers, SQL results."""

    def __init__(self, item: pytest.Item) -> None:
        self._rec = record_of(item)

    @property
    def current_line(self) -> str | None:
        line = self._rec.get("current_line")
        return str(line) if line else None

    def put(self, key: str, value: Any, line: str | None = None) -> None:
        target = line or self.current_line or "_scenario"
        self._rec["evidence"].setdefault(target, {})[key] = REDACTOR.scrub_obj(value)

    def get(self, key: str, line: str | None = None) -> Any:
        target = line or self.current_line or "_scenario"
        return self._rec["evidence"].get(target, {}).get(key)

    def trigger(self, row: str, evidence: str, line: str | None = None) -> None:
        spec = TRIGGERS_BY_ID[row]
        obs = TriggerObservation.observe(row, spec.action.value, REDACTOR.scrub(evidence), line or self.current_line)
        if all(t["row"] != row for t in self._rec["triggers"]):
            self._rec["triggers"].append(obs.__dict__)

    def http(self, exchange: dict[str, Any]) -> None:
        if len(self._rec["http"]) < MAX_HTTP:
            self._rec["http"].append({"line": self.current_line, **REDACTOR.scrub_obj(exchange)})
