"""Go-Live completion (runbook "Go-live completion criteria"): go-live is COMPLETED when all of these hold.

- smoke tests (health, auth, payouts) PASS;
- the canary money loop PASS and its report on record;
- no 5xx spike in the first 2 hours (against the T-0 baseline: the watch intervals on record cover them);
- the withdraw/payout queue under control (the latest watch round: nothing over the SLA, nothing stuck, read whole);
- no rollback trigger observed (none on record for the release, none in any watch round);
- the 24-hour control report published (summary + metrics + actions, covering 24 h after T-0).

They are computed from the cutover record of the release: lines measured long ago still count here (completion is
about what happened), only a result overtaken by a later run of an earlier phase does not. Otherwise OPEN, naming
each criterion still open and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cutover_gate.checks.hypercare import rounds
from cutover_gate.checks.hypercare.rounds import WatchRound
from cutover_gate.core.catalogue import (
    HC_CONTROL_REPORT_24H,
    HC_FIRST_6H_WATCH,
    T0_CANARY_REPORT,
    TRIGGERS_BY_ID,
    Action,
    smoke_lines,
)
from cutover_gate.core.clock import parse_time
from cutover_gate.core.i18n import N_, translate
from cutover_gate.core.reasons import Reason, as_recorded
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation
from cutover_gate.evidence.results import result_of, smoke_result


class Status(StrEnum):
    """Go-live is COMPLETED when every criterion holds, else OPEN."""

    COMPLETED = "COMPLETED"
    OPEN = "OPEN"


COMPLETED, OPEN = Status.COMPLETED, Status.OPEN
FIRST_HOURS = 2.0
REPORT_HOURS = 24.0
WATCH_LINE, REPORT_LINE, CANARY_REPORT = HC_FIRST_6H_WATCH, HC_CONTROL_REPORT_24H, T0_CANARY_REPORT

CRITERIA: dict[str, str] = {
    "smoke_pass": N_("Smoke tests (health, auth, payouts) PASS"),
    "canary_pass_report_recorded": N_("Canary money loop PASS and the report on record"),
    "no_5xx_spike_first_2h": N_("No 5xx spike in the first 2 hours (normal baseline)"),
    "queue_under_sla": N_("Withdraw/payout queue under control (no SLA breach)"),
    "no_rollback_trigger": N_("No rollback trigger observed"),
    "control_report_24h": N_("24-hour control report published (summary + metrics + actions)"),
}
"""Each criterion's title in English, the msgid of its Turkish in the message catalogue (`locale/`)."""
LINE_IS = N_("%(line)s is %(result)s: %(message)s")
LINE_IS_SILENTLY = N_("%(line)s is %(result)s")


@dataclass(frozen=True)
class Criterion:
    id: str
    holds: bool
    detail: Reason
    """Why it holds or not, in words of the catalogue (decision.json: its English)."""

    def title(self, lang: str) -> str:
        return translate(lang, CRITERIA[self.id])


@dataclass
class Completion:
    status: Status
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def open(self) -> list[str]:
        return [c.id for c in self.criteria if not c.holds]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {"status": self.status.value, "open": self.open,
                "criteria": [{"id": c.id, "title": c.title(lang), "holds": c.holds,
                              "detail": c.detail.text("en")}
                             for c in self.criteria]}


def _evidence(results: Mapping[str, LineResult], line: str) -> dict[str, Any]:
    res = results.get(line)
    return res.evidence if res else {}


def t0_time(results: Mapping[str, LineResult]) -> datetime | None:
    """T-0: the baseline scrape at the end of T-0, else the earliest T-0 result on record."""
    baseline = _evidence(results, CANARY_REPORT).get("metrics_baseline")
    at = parse_time(baseline.get("at")) if isinstance(baseline, Mapping) else None
    stamps = [ts for lid, r in results.items() if lid.startswith("t0_") and (ts := parse_time(r.at))]
    return at or min(stamps, default=None)


def _line(results: Mapping[str, LineResult], line: str, what: str) -> Criterion | None:
    """None when the line PASSed, else the open criterion saying what it is."""
    res = results.get(line)
    result = res.result if res else Result.NOT_RUN
    if result.ok:
        return None
    if res and res.message:
        first = res.message.splitlines()[0][:200]
        message = res.reason if res.reason is not None and first == res.message else first
        return Criterion(what, False, Reason(LINE_IS, {"line": line, "result": result.value, "message": message}))
    return Criterion(what, False, Reason(LINE_IS_SILENTLY, {"line": line, "result": result.value}))


def _smoke(results: Mapping[str, LineResult]) -> Criterion:
    result = smoke_result(results)
    if result.ok:
        return Criterion("smoke_pass", True, Reason(N_("every smoke line PASS")))
    open_lines = [f"{line.id} {result_of(results, line.id).value}" for line in smoke_lines()
                  if not result_of(results, line.id).ok]
    return Criterion("smoke_pass", False, Reason(N_("not PASS: %(lines)s"), {"lines": ", ".join(open_lines)}))


def _queue(kept: list[WatchRound]) -> Criterion:
    dated = rounds.dated(kept)
    if not dated:
        return Criterion("queue_under_sla", False, Reason(N_("no watch round on record")))
    latest = dated[-1][1]
    queue = latest.queue if isinstance(latest.queue, Mapping) else None
    problems = []
    if latest.backlog:
        problems.append(Reason(N_("%(n)s withdrawal(s) over the SLA"), {"n": str(latest.backlog)}))
    if latest.stuck:
        problems.append(Reason(N_("%(n)s stuck finance job(s)"), {"n": str(latest.stuck)}))
    if queue is None or latest.backlog is None:
        problems.append(Reason(N_("the queue was not read")))
    elif not queue.get("complete", False):
        note = as_recorded(queue.get("note_reason"), str(queue["note"])) if queue.get("note") \
            else Reason(N_("the page budget ran out"))
        problems.append(Reason(N_("the queue was read incompletely (%(note)s)"), {"note": note}))
    if problems:
        return Criterion("queue_under_sla", False, Reason(N_("the latest watch round (%(at)s): %(problems)s"),
                                                          {"at": str(latest.at), "problems": tuple(problems)}))
    return Criterion("queue_under_sla", True, Reason(N_("the latest watch round (%(at)s) found nothing over the "
                                                        "SLA and nothing stuck, the queue read whole"),
                                                     {"at": str(latest.at)}))


def _triggers(triggers: Iterable[TriggerObservation], kept: list[WatchRound]) -> Criterion:
    def rollback(row: str) -> bool:
        spec = TRIGGERS_BY_ID.get(row)
        return spec is None or spec.action is Action.IMMEDIATE_ROLLBACK

    seen = [Reason(N_("%(row)s at %(at)s"), {"row": t.row, "at": str(t.observed_at)}) for t in triggers
            if t.action is Action.IMMEDIATE_ROLLBACK]
    seen += [Reason(N_("%(row)s in the watch round at %(at)s"), {"row": str(row), "at": str(r.at)})
             for r in kept for row in r.triggers or [] if rollback(str(row))]
    if seen:
        return Criterion("no_rollback_trigger", False, Reason(N_("observed: %(seen)s"),
                                                              {"seen": tuple(dict.fromkeys(seen))}))
    return Criterion("no_rollback_trigger", True, Reason(N_("none on record for the release, none in any watch round")))


def _report(results: Mapping[str, LineResult]) -> Criterion:
    missing = _line(results, REPORT_LINE, "control_report_24h")
    if missing is not None:
        return missing
    hours = _evidence(results, REPORT_LINE).get("hours_covered")
    number = _evidence(results, REPORT_LINE).get("report_number")
    needed = f"{REPORT_HOURS:g}"
    if not isinstance(hours, int | float):
        return Criterion("control_report_24h", False, Reason(
            N_("the latest control report (#%(number)s) covers an unknown time after T-0, not yet %(needed)s h"),
            {"number": str(number), "needed": needed}))
    covered = {"number": str(number), "hours": f"{hours:.1f}"}
    if hours < REPORT_HOURS:
        return Criterion("control_report_24h", False, Reason(
            N_("the latest control report (#%(number)s) covers %(hours)s h after T-0, not yet %(needed)s h"),
            {**covered, "needed": needed}))
    return Criterion("control_report_24h", True, Reason(N_("control report #%(number)s covers %(hours)s h after T-0"),
                                                        covered))


def completion(results: Mapping[str, LineResult], triggers: Iterable[TriggerObservation]) -> Completion:
    kept = rounds.on_record(_evidence(results, WATCH_LINE).get("rounds"))
    canary = _line(results, CANARY_REPORT, "canary_pass_report_recorded") or Criterion(
        "canary_pass_report_recorded", True, Reason(N_("the money loop PASS, canary_report.md on record")))
    window = rounds.first_hours(kept, t0_time(results), hours=FIRST_HOURS)
    spike = Criterion("no_5xx_spike_first_2h", window.holds is True, window.reason)
    criteria = [_smoke(results), canary, spike, _queue(kept), _triggers(triggers, kept), _report(results)]
    return Completion(COMPLETED if all(c.holds for c in criteria) else OPEN, criteria)
