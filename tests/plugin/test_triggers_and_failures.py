"""Rollback-matrix triggers recorded by a step reach decision.json; an error of the gate itself fails closed."""

from __future__ import annotations

from datetime import timedelta

from cutover_gate.core.clock import parse_iso
from tests.plugin.conftest import GateProject, all_mandatory_ids, mandatory_features

WITH_TRIGGER = ("Given the check passes", 'When the trigger "{row}" is observed')


def test_an_immediate_rollback_trigger_is_no_go_although_every_line_passed(project: GateProject) -> None:
    steps = tuple(s.format(row="payout_withdraw_http_error") for s in WITH_TRIGGER)
    project.features(mandatory_features({"t0_idempotency": steps}))

    run = project.run()

    run.run.assert_outcomes(passed=len(all_mandatory_ids()))
    assert all(run.result(line) == "PASS" for line in all_mandatory_ids())
    decision = run.decision
    assert decision["decision"] == "NO-GO"
    assert run.ret != 0
    [row] = decision["triggers"]
    assert row["row"] == "payout_withdraw_http_error"
    assert row["action"] == "IMMEDIATE_ROLLBACK"
    assert row["line"] == "t0_idempotency"
    assert "answered 503" in row["evidence"]
    assert parse_iso(row["decide_by"]) - parse_iso(row["observed_at"]) == timedelta(minutes=5)
    assert any(r.startswith("trigger payout_withdraw_http_error") for r in decision["reasons"])


def test_a_monitor_trigger_is_reported_but_does_not_block_go(project: GateProject) -> None:
    steps = tuple(s.format(row="latency_spike") for s in WITH_TRIGGER)
    project.features(mandatory_features({"t15_api_health": steps}))

    run = project.run()

    assert run.decision["decision"] == "GO", run.decision["reasons"]
    assert run.ret == 0
    assert [(t["row"], t["action"]) for t in run.decision["triggers"]] == [("latency_spike", "MONITOR")]


def test_an_error_inside_the_gate_at_the_end_writes_a_no_go_naming_it(project: GateProject) -> None:
    project.features(mandatory_features())
    project.conftest_extra('''
        import cutover_gate.reports.render


        def _broken_render(ctx):
            raise RuntimeError("template store unavailable")


        cutover_gate.reports.render.render_all = _broken_render
    ''')

    run = project.run(subprocess=True)  # the patch must not outlive the run: a process of its own

    run.run.assert_outcomes(passed=len(all_mandatory_ids()))
    assert run.ret != 0
    decision = run.decision
    assert decision["decision"] == "NO-GO"
    assert decision["reasons"] == ["gate internal error: RuntimeError: template store unavailable"]
    assert "gate internal error" in run.output
