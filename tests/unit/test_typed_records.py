"""The records a run writes and a later run reads back (a checklist row, a watch round, a step, a trigger) each cross
JSON through one to/from pair, and read back what they wrote, byte for byte."""

from __future__ import annotations

import json

from cutover_gate.checks.hypercare.rounds import WatchRound, kept
from cutover_gate.core.catalogue import Action
from cutover_gate.decide.rules import ChecklistRow
from cutover_gate.evidence.model import Result, StepRecord, StepStatus, TriggerObservation

ROW = {"id": "t0_deposit", "phase": "t0", "section": 4, "title": "Deposit", "mandatory": True, "result": "FAIL",
       "ref": "evidence/t0_deposit.json", "at": "2026-03-01T10:00:00Z", "message": "-> 500", "evidence": {"tx": "d-1"}}
OLD_ROUND = {"at": "2026-03-01T10:00:00Z", "backlog": 0, "error_rate": None, "failures": [], "ok": True, "p95_s": 0.1,
             "payout_failure_rate": None, "stuck": 0, "triggers": []}
"""A round an earlier version kept, as the record (sorted keys) holds it."""


def test_a_checklist_row_reads_back_what_it_wrote() -> None:
    row = ChecklistRow.from_json(ROW)
    assert row.result is Result.FAIL and row.evidence == {"tx": "d-1"}
    assert json.dumps(row.to_json()) == json.dumps(ROW)
    assert ChecklistRow.from_json({"id": "t0_x", "result": "MAYBE"}).result is Result.NOT_RUN


def test_a_watch_round_is_written_back_as_it_was_read() -> None:
    old = WatchRound.from_json(OLD_ROUND)
    assert old.ok is True and old.triggers == [] and old.queue is None
    assert json.dumps(old.to_json()) == json.dumps(OLD_ROUND)  # no key added, none reordered
    newer = {**OLD_ROUND, "counters": {"at": "x"}, "alerts_firing": ["PayoutErrors"], "later": 1}
    assert json.dumps(WatchRound.from_json(newer).to_json()) == json.dumps(newer)


def test_a_round_of_this_run_states_every_key_in_order_and_drops_only_its_state_when_old() -> None:
    fresh = WatchRound(at="2026-03-01T11:00:00Z", ok=True, counters={"at": "y"})
    assert list(fresh.to_json()) == ["at", "ok", "triggers", "failures", "error_rate", "p95_s", "payout_failure_rate",
                                     "backlog", "stuck", "queue", "interval", "spike", "restart", "recon", "counters"]
    fresh.alerts_firing = "not read"
    assert list(fresh.to_json())[-1] == "alerts_firing"
    later = WatchRound(at="2026-03-01T12:00:00Z", ok=True)
    first, second = kept([fresh], later, states_kept=1)
    assert "counters" not in first.to_json() and list(first.to_json())[-1] == "alerts_firing"
    assert second is later


def test_a_step_and_a_trigger_carry_their_enums_across_json() -> None:
    step = StepRecord("f::s", "Then it holds", "t0_deposit", StepStatus.FAIL, "2026-03-01T10:00:00Z", "boom")
    data = step.to_json()
    assert data["status"] == "FAIL" and type(data["status"]) is str
    assert StepRecord.from_json(data) == step and StepRecord.from_json(data).status is StepStatus.FAIL
    trigger = TriggerObservation("latency_spike", Action.MONITOR, "t1", "t2", "p95 2 s")
    assert type(trigger.to_json()["action"]) is str
    assert TriggerObservation.from_json(trigger.to_json()).action is Action.MONITOR
