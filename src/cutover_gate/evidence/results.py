"""Turn what each scenario recorded into results per checklist line.

A scenario names the lines it proves with tags. Its steps are attributed to lines (a step function declares its
line with `proves()`; in a single-line scenario every step belongs to that line). Within one scenario:

- a line with a failing step is FAIL;
- a line whose steps all ran and passed is PASS (WAIVED when the scenario waived it) when the scenario passed, or when
  the scenario broke later, at a step of another line (the canary's earlier steps stay proven when a later one fails);
- a line the scenario never reached because of an earlier failure is FAIL ("blocked");
- a skipped scenario leaves its lines NOT_RUN; a line no step proved is NOT_RUN.

Across scenarios a line is FAIL if any scenario failed it, NOT_RUN if any left it unproven, PASS otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cutover_gate.core.catalogue import smoke_lines
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.model import LineResult, Result, StepStatus, TriggerObservation
from cutover_gate.evidence.recording import ScenarioRecord


@dataclass
class ScenarioRun(ScenarioRecord):
    """A scenario as the controller saw it: what it recorded, and how pytest ended it."""

    outcome: str = "not_run"  # passed | failed | skipped | error | not_run
    message: str = ""
    reason: Reason | None = None
    """`message` as a record (None: shown as given)."""
    finished_at: str | None = None

    def absorb(self, record: ScenarioRecord) -> None:
        """Merge the record a report carried (setup, call and teardown each carry the record so far)."""
        if record.lines:
            self.lines = list(record.lines)
        known = {(s.step, s.at, s.status) for s in self.steps}
        self.steps.extend(s for s in record.steps if (s.step, s.at, s.status) not in known)
        for line, values in record.evidence.items():
            self.evidence.setdefault(line, {}).update(values)
        self.scenario_evidence.update(record.scenario_evidence)
        self.waived.update(record.waived)
        if len(record.http) > len(self.http):
            self.http = list(record.http)
        seen = {(t.row, t.observed_at) for t in self.triggers}
        self.triggers.extend(t for t in record.triggers if (t.row, t.observed_at) not in seen)
        if self.steps:
            self.finished_at = max(s.at for s in self.steps)


def _contiguous(indices: list[int]) -> bool:
    return not indices or indices == list(range(indices[0], indices[-1] + 1))


STEP_FAILED = N_("step '%(step)s': %(cause)s")
"""A line whose own step failed: the step, and its cause."""
BLOCKED_BY_STEP = N_("blocked: step '%(step)s' failed: %(cause)s")
"""A line its scenario never reached: the earlier step that failed, and its cause."""


def scenario_results(run: ScenarioRun) -> dict[str, LineResult]:
    out: dict[str, LineResult] = {}
    failing = next((s for s in run.steps if s.status is StepStatus.FAIL), None)
    for line in run.lines:
        idx = [i for i, s in enumerate(run.steps) if s.line == line]
        own = [run.steps[i] for i in idx]
        at = own[-1].at if own else run.finished_at
        evidence = run.evidence.get(line, {})
        proven = Result.WAIVED if run.waived.get(line) else Result.PASS

        def res(result: Result, reason: Reason | None = None, *, _line: str = line, _at: str | None = at,
                _ev: dict[str, Any] = evidence) -> LineResult:
            return LineResult(_line, result, at=_at, message=reason.text() if reason is not None else "",
                              evidence=dict(_ev), nodeids=[run.nodeid], reason=reason)

        if run.outcome in ("skipped", "not_run"):
            out[line] = res(Result.NOT_RUN, _said(run.reason, run.message) or Reason(N_("not run")))
        elif not _contiguous(idx):
            out[line] = res(Result.FAIL, Reason(N_("feature error: the steps of this line are not contiguous in the "
                                                   "scenario")))
        elif any(s.status is StepStatus.FAIL for s in own):
            bad = next(s for s in own if s.status is StepStatus.FAIL)
            out[line] = res(Result.FAIL, Reason.of(STEP_FAILED, step=bad.step,
                                                   cause=_said(bad.reason, bad.message) or Reason.verbatim("")))
        elif run.outcome == "passed":
            out[line] = (res(proven) if own else res(Result.NOT_RUN,
                                                      Reason(N_("no step of the scenario proved this line"))))
        elif own and failing is not None and failing.line != line:
            out[line] = res(proven)
        elif failing is not None:
            out[line] = res(Result.FAIL, Reason.of(BLOCKED_BY_STEP, step=failing.step,
                                                   cause=_said(failing.reason, failing.message) or Reason.verbatim("")))
        else:
            cause = _said(run.reason, run.message)
            out[line] = res(Result.FAIL, Reason.of(N_("error: %(cause)s"), cause=cause) if cause
                            else Reason(N_("error")))
    return out


def _said(reason: Reason | None, message: str) -> Reason | None:
    """A record's cause: its reason, or its message shown as given (None when it has neither)."""
    if reason is not None:
        return reason
    return Reason.verbatim(message) if message else None


def merge(results: Iterable[LineResult]) -> LineResult:
    results = list(results)
    first = results[0]
    evidence: dict[str, Any] = {}
    nodeids: list[str] = []
    for r in results:
        evidence.update(r.evidence)
        nodeids.extend(r.nodeids)
    stamps = [r.at for r in results if r.at]
    at = max(stamps) if stamps else None
    failed = [r for r in results if r.result is Result.FAIL]
    not_run = [r for r in results if r.result is Result.NOT_RUN]
    causes: list[LineResult] = []
    if failed:
        result, causes = Result.FAIL, failed
    elif not_run:
        result, causes = Result.NOT_RUN, not_run
    elif any(r.result is Result.WAIVED for r in results):
        result = Result.WAIVED
    else:
        result = Result.PASS
    said = [reason for r in causes if (reason := _said(r.reason, r.message)) is not None]
    reason = Reason.joined(said) if said else None
    return LineResult(first.id, result, at=at, message=reason.text() if reason is not None else "",
                      evidence=evidence, nodeids=nodeids, reason=reason)


def line_results(runs: Iterable[ScenarioRun]) -> dict[str, LineResult]:
    per_line: dict[str, list[LineResult]] = {}
    for run in runs:
        for line, res in scenario_results(run).items():
            per_line.setdefault(line, []).append(res)
    return {line: merge(items) for line, items in per_line.items()}


def triggers_of(runs: Iterable[ScenarioRun]) -> list[TriggerObservation]:
    out: list[TriggerObservation] = []
    for run in runs:
        out.extend(run.triggers)
    return sorted(out, key=lambda t: t.observed_at)


def result_of(results: Mapping[str, LineResult], line_id: str) -> Result:
    res = results.get(line_id)
    return res.result if res else Result.NOT_RUN


def combined(results: Iterable[Result]) -> Result:
    """A group's result: FAIL if any failed, NOT_RUN if any did not run, PASS only if all passed, else WAIVED."""
    got = list(results)
    if Result.FAIL in got:
        return Result.FAIL
    if not got or Result.NOT_RUN in got:
        return Result.NOT_RUN
    return Result.PASS if all(r is Result.PASS for r in got) else Result.WAIVED


def smoke_result(results: Mapping[str, LineResult]) -> Result:
    """The runbook's "`go_live_smoke.sh` run" line, derived from its sub-lines."""
    return combined(result_of(results, line.id) for line in smoke_lines())
