"""Multi-line scenarios (the canary): `proves()` attributes steps to lines; a later failure keeps earlier lines PASS
and blocks the later ones; a line whose steps are split apart is a feature error."""

from __future__ import annotations

from tests.plugin.conftest import GateProject

LOOP_TAGS = "@t0_deposit @t0_withdraw_request @t0_admin_approve @t0_mark_paid"


def canary(*steps: str) -> str:
    body = "\n".join(f"    {step}" for step in steps)
    return f"@t0\nFeature: canary\n\n  {LOOP_TAGS}\n  Scenario: money loop\n{body}\n"


def test_every_step_of_a_multi_line_scenario_passing_proves_every_line(project: GateProject) -> None:
    project.feature("canary", canary("Given the check passes", "When the deposit is made",
                                     "And the withdrawal is requested", "And the admin approves",
                                     "Then the payout is marked paid"))

    run = project.run()

    run.run.assert_outcomes(passed=1)
    for line in ("t0_deposit", "t0_withdraw_request", "t0_admin_approve", "t0_mark_paid"):
        assert run.result(line) == "PASS", run.line(line)
    assert run.line("t0_deposit")["evidence"] == {"deposit_tx_id": "dep-1"}


def test_a_later_line_failing_keeps_earlier_lines_and_blocks_the_rest(project: GateProject) -> None:
    project.feature("canary", canary("When the deposit is made", "And the withdrawal is requested",
                                     "And the admin approval is refused", "Then the payout is marked paid"))

    run = project.run()

    run.run.assert_outcomes(failed=1)
    assert run.ret != 0
    assert run.result("t0_deposit") == "PASS"
    assert run.result("t0_withdraw_request") == "PASS"
    approve = run.line("t0_admin_approve")
    assert approve["result"] == "FAIL"
    assert approve["message"] == ("step 'And the admin approval is refused': "
                                  "approve answered 409 ILLEGAL_TRANSACTION_STATE_TRANSITION")
    paid = run.line("t0_mark_paid")
    assert paid["result"] == "FAIL"
    assert paid["message"].startswith("blocked: step 'And the admin approval is refused' failed")
    assert run.decision["decision"] == "NO-GO"
    assert "paid" not in project.steps_ran()


def test_a_line_whose_steps_are_not_contiguous_is_a_feature_error(project: GateProject) -> None:
    project.feature("canary", """
        @t0
        Feature: canary

          @t0_deposit @t0_withdraw_request
          Scenario: interleaved lines
            When the deposit is made
            And the withdrawal is requested
            And the deposit is made
    """)

    run = project.run()

    run.run.assert_outcomes(passed=1)
    deposit = run.line("t0_deposit")
    assert deposit["result"] == "FAIL"
    assert "feature error" in deposit["message"]
    assert "not contiguous" in deposit["message"]
    assert run.result("t0_withdraw_request") == "PASS"
    assert run.decision["decision"] == "NO-GO"
    assert run.ret != 0


def test_a_tagged_line_no_step_proves_is_not_run(project: GateProject) -> None:
    project.feature("canary", """
        @t0
        Feature: canary

          @t0_deposit @t0_mark_paid
          Scenario: the paid step is missing
            When the deposit is made
    """)

    run = project.run()

    assert run.result("t0_deposit") == "PASS"
    assert run.result("t0_mark_paid") == "NOT_RUN"
    # a canary that moved money but did not finish is a FAIL of its report, not merely pending
    assert run.result("t0_canary_report") == "FAIL"
    assert "t0_mark_paid" in run.line("t0_canary_report")["message"]
    assert run.decision["decision"] == "NO-GO"
