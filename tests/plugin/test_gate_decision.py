"""The decision an inner gate run writes: GO only with every mandatory line PASS for a pinned release; a failing step
is NO-GO naming it; skipped, deselected and empty selections are never GO (CONTRACT §2)."""

from __future__ import annotations

import json

import pytest

from tests.plugin.conftest import SHA, GateProject, all_mandatory_ids, mandatory_features, phase_ids


def test_every_mandatory_line_passing_with_a_pinned_release_is_go(project: GateProject) -> None:
    project.features(mandatory_features())

    run = project.run()

    run.run.assert_outcomes(passed=len(all_mandatory_ids()))
    assert run.ret == 0
    decision = run.decision
    assert decision["decision"] == "GO", decision["reasons"]
    assert decision["release_sha"] == SHA
    assert decision["phases"] == {"t60": "PASS", "t30": "PASS", "t15": "PASS", "t0": "PASS"}
    assert all(run.result(line) == "PASS" for line in all_mandatory_ids())
    assert decision["triggers"] == []
    run.run.stdout.fnmatch_lines(["*cutover decision*", f"GO  release {SHA}*"])


def test_without_a_release_sha_the_same_run_is_not_go(project: GateProject) -> None:
    project.features(mandatory_features())

    run = project.run(sha=None)

    assert all(run.result(line) == "PASS" for line in all_mandatory_ids())
    assert run.decision["decision"] == "PENDING"
    assert run.decision["release_sha"] is None
    assert any("release SHA not pinned" in reason for reason in run.decision["reasons"])


def test_a_failing_step_fails_its_line_and_the_decision_naming_the_step(project: GateProject) -> None:
    broken = ("Given the check passes", 'When the check fails with "payouts router answered 404"')
    project.features(mandatory_features({"t15_payouts_router": broken}))

    run = project.run()

    # T-0's scenarios change data (they are not tagged read_only): a T-15 FAIL blocks them, the runbook's rule 1
    t0 = phase_ids("t0")
    run.run.assert_outcomes(passed=len(all_mandatory_ids()) - 1 - len(t0), failed=1, skipped=len(t0))
    assert all(run.result(lid) == "NOT_RUN" and run.line(lid)["message"] == "blocked: t15_payouts_router FAIL"
               for lid in t0 if lid != "t0_canary_report")  # that one is derived: "the canary money loop has not run"
    assert run.ret != 0
    assert run.decision["decision"] == "NO-GO"
    line = run.line("t15_payouts_router")
    assert line["result"] == "FAIL"
    assert "When the check fails with" in line["message"]
    assert "payouts router answered 404" in line["message"]
    assert run.decision["phases"]["t15"] == "FAIL"
    reasons = run.decision["reasons"]
    assert any(r.startswith("t15_payouts_router FAIL: step 'When the check fails with") for r in reasons)
    run.run.stdout.fnmatch_lines(["*step 'When the check fails with*payouts router answered 404*"])


def test_a_failing_plain_assertion_is_also_no_go(project: GateProject) -> None:
    project.feature("smoke", """
        @t15
        Feature: smoke
          @t15_api_health
          Scenario: health
            Given the check passes
            When the assertion fails with "health said degraded"
    """)

    run = project.run()

    assert run.ret != 0
    assert run.decision["decision"] == "NO-GO"
    assert run.result("t15_api_health") == "FAIL"
    assert "health said degraded" in run.line("t15_api_health")["message"]
    assert "When the assertion fails with" in run.line("t15_api_health")["message"]


def test_a_step_calling_pytest_skip_leaves_its_line_not_run_and_blocks_go(project: GateProject) -> None:
    skipped = ("Given the check passes", "When the check does not apply")
    project.features(mandatory_features({"t60_cors_restricted": skipped}))

    run = project.run()

    assert run.ret != pytest.ExitCode.INTERNAL_ERROR, "a skipped scenario crashed the run:\n" + run.output[-600:]
    run.run.assert_outcomes(passed=len(all_mandatory_ids()) - 1, skipped=1)
    line = run.line("t60_cors_restricted")
    assert line["result"] == "NOT_RUN"
    evidence = json.loads((project.reports / line["ref"]).read_text(encoding="utf-8"))
    assert evidence["result"]["result"] == "NOT_RUN"
    assert "not applicable on this platform" in evidence["result"]["message"]
    assert run.decision["decision"] == "PENDING"
    assert run.decision["phases"]["t60"] == "NOT_RUN"


@pytest.mark.parametrize("selection", [("-m", "not t15_admin_login"), ("-k", "not t15_admin_login")],
                         ids=["marker", "keyword"])
def test_a_deselected_line_is_not_run_and_blocks_go(project: GateProject, selection: tuple[str, str]) -> None:
    project.features(mandatory_features())

    run = project.run(*selection)

    run.run.assert_outcomes(passed=len(all_mandatory_ids()) - 1, deselected=1)
    assert run.result("t15_admin_login") == "NOT_RUN"
    assert run.decision["decision"] == "PENDING"
    assert any("t15_admin_login" in reason for reason in run.decision["reasons"])


def test_an_empty_selection_is_not_go_and_keeps_pytests_exit_code(project: GateProject) -> None:
    project.features(mandatory_features())

    run = project.run("-m", "t60 and t0")

    assert run.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert run.decision["decision"] != "GO"
    assert set(run.results().values()) == {"NOT_RUN"}
