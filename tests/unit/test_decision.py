"""CONTRACT §2 decision rules on `decision.decide`, a pure function: GO / NO-GO / PENDING."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cutover_gate.core.catalogue import LINES, OPTIONAL_PHASES, PHASES, mandatory_lines
from cutover_gate.core.reasons import texts
from cutover_gate.decide.rules import Decision, Verdict, decide, phase_result
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation

SHA = "0123456789abcdef0123456789abcdef01234567"
AT = "2025-03-01T09:00:00Z"
MANDATORY = [line.id for line in mandatory_lines()]


def results(overrides: dict[str, Result] | None = None, *, base: Result = Result.PASS) -> dict[str, LineResult]:
    out = {lid: LineResult(lid, base, at=AT) for lid in MANDATORY}
    for lid, result in (overrides or {}).items():
        out[lid] = LineResult(lid, result, at=AT, message=f"{lid} said so")
    return out


def trigger(row: str, action: str) -> TriggerObservation:
    return TriggerObservation.observe(row, action, "evidence text", "t0_deposit", at=datetime(2025, 3, 1, tzinfo=UTC))


def run(res: dict[str, LineResult], triggers: list[TriggerObservation] | None = None, *, sha: str | None = SHA,
        lang: str = "en") -> Decision:
    return decide(res, triggers or [], release_sha=sha, target="http://127.0.0.1:9", lang=lang, decider="IC",
                  env_name="staging", selected_phases=["t15", "t0", "t15"], refs={"t0_deposit": "evidence/x.json"})


def row(d: Decision, lid: str) -> dict[str, object]:
    return next(c.to_json() for c in d.checklist if c.id == lid)


def test_every_mandatory_line_pass_with_a_release_is_go() -> None:
    d = run(results())
    assert d.decision is Verdict.GO
    assert d.phases == dict.fromkeys(PHASES, "PASS")
    assert d.reasons == []


def test_mandatory_lines_cover_the_four_phases_and_no_optional_one() -> None:
    assert {line.phase for line in mandatory_lines()} == set(PHASES)
    assert all(not line.mandatory for line in LINES if line.phase in OPTIONAL_PHASES)


def test_waived_counts_as_passing() -> None:
    d = run(results({"t60_prod_env_verified": Result.WAIVED}))
    assert d.decision is Verdict.GO
    assert row(d, "t60_prod_env_verified")["result"] == "WAIVED"
    assert d.phases["t60"] == "PASS"


def test_without_a_release_sha_everything_passing_is_pending() -> None:
    d = run(results(), sha=None)
    assert d.decision is Verdict.PENDING
    assert "release SHA not pinned: results cannot be tied to a release" in texts(d.reasons)


def test_any_fail_is_no_go_naming_the_line() -> None:
    d = run(results({"t15_payouts_router": Result.FAIL}))
    assert d.decision is Verdict.NO_GO
    assert d.phases["t15"] == "FAIL"
    assert texts(d.reasons) == ["t15_payouts_router FAIL: t15_payouts_router said so"]


def test_a_fail_beats_a_missing_release_and_missing_lines() -> None:
    d = run({"t0_deposit": LineResult("t0_deposit", Result.FAIL, message="boom")}, sha=None)
    assert d.decision is Verdict.NO_GO


def test_an_immediate_rollback_trigger_is_no_go_although_every_line_passed() -> None:
    d = run(results(), [trigger("ledger_invariant_breach", "IMMEDIATE_ROLLBACK")])
    assert d.decision is Verdict.NO_GO
    assert texts(d.reasons) == ["trigger ledger_invariant_breach (Ledger invariant breach) -> IMMEDIATE_ROLLBACK: "
                                "evidence text"]
    assert d.to_json()["triggers"][0]["decide_by"] == "2025-03-01T00:05:00Z"


@pytest.mark.parametrize("row_id", ["latency_spike", "queue_backlog"])
def test_monitor_triggers_do_not_block_go(row_id: str) -> None:
    d = run(results(), [trigger(row_id, "MONITOR")])
    assert d.decision is Verdict.GO
    assert [t.row for t in d.triggers] == [row_id]


def test_a_not_run_line_is_never_pass_and_keeps_it_pending() -> None:
    d = run(results({"t30_snapshot_readable": Result.NOT_RUN}))
    assert d.decision is Verdict.PENDING
    assert row(d, "t30_snapshot_readable")["result"] == "NOT_RUN"
    assert d.phases["t30"] == "NOT_RUN"
    assert "not yet PASS: t30_snapshot_readable" in texts(d.reasons)


def test_a_missing_line_is_not_run() -> None:
    res = results()
    del res["t0_webhook_replay"]
    d = run(res)
    assert d.decision is Verdict.PENDING
    assert row(d, "t0_webhook_replay")["result"] == "NOT_RUN"
    assert row(d, "t0_webhook_replay")["message"] == "not run"


def test_nothing_run_is_pending_with_every_phase_not_run() -> None:
    d = run({})
    assert d.decision is Verdict.PENDING
    assert d.phases == dict.fromkeys(PHASES, "NOT_RUN")
    assert all(c.result == "NOT_RUN" for c in d.checklist)


def test_hypercare_and_rollback_lines_are_never_required() -> None:
    d = run(results())
    optional = [c for c in d.checklist if c.phase in OPTIONAL_PHASES]
    assert optional and all(c.result == "NOT_RUN" and not c.mandatory for c in optional)
    assert d.decision is Verdict.GO
    assert set(d.phases) == set(PHASES)


def test_checklist_lists_every_line_with_the_contract_fields() -> None:
    d = run(results(), lang="tr")
    data = d.to_json()
    assert [c["id"] for c in data["checklist"]] == [line.id for line in LINES]
    for c in data["checklist"]:
        assert {"id", "title", "result", "ref", "at"} <= set(c)
    assert row(d, "t30_snapshot_readable")["title"] == "Snapshot erişilebilirliği doğrulandı"
    assert row(d, "t0_deposit")["ref"] == "evidence/x.json"
    assert row(d, "t0_withdraw_request")["ref"] == ""
    assert data["decision"] == "GO"
    assert data["selected_phases"] == ["t0", "t15"]
    assert {"release_sha", "target", "lang", "decider", "generated_at", "phases", "triggers"} <= set(data)


@pytest.mark.parametrize(("got", "expected"), [
    ({}, Result.NOT_RUN),
    ({"t30_snapshot_taken": Result.PASS}, Result.NOT_RUN),
    ({"t30_snapshot_taken": Result.PASS, "t30_snapshot_readable": Result.WAIVED, "t30_restore_procedure": Result.PASS},
     Result.PASS),
    ({"t30_snapshot_taken": Result.FAIL}, Result.FAIL),
    ({"t30_snapshot_taken": Result.FAIL, "t30_snapshot_readable": Result.NOT_RUN}, Result.FAIL),
])
def test_phase_result(got: dict[str, Result], expected: Result) -> None:
    assert phase_result("t30", {lid: LineResult(lid, r) for lid, r in got.items()}) is expected


def test_optional_lines_of_the_cutover_phases_never_hold_go_but_their_fail_is_no_go() -> None:
    optional = [line.id for line in LINES if line.phase in PHASES and not line.mandatory]
    assert {"t30_restore_drill", "t30_migration_dry_run", "t15_maintenance_page", "t0_traffic_open"} <= set(optional)
    prod = run(results())  # prod: the drill NOT_RUN "never in prod", the maintenance page not selected
    assert prod.decision is Verdict.GO and row(prod, "t30_restore_drill")["result"] == "NOT_RUN"
    failed = run(results({"t30_restore_drill": Result.FAIL}))
    assert failed.decision is Verdict.NO_GO and failed.phases["t30"] == "FAIL"
    assert texts(failed.reasons) == ["t30_restore_drill FAIL: t30_restore_drill said so"]
