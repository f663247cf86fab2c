"""evidence/results.py: what each scenario recorded becomes results per checklist line (the rules of its docstring)."""

from __future__ import annotations

from typing import Any

import pytest

from cutover_gate.evidence.model import LineResult, Result, StepRecord, TriggerObservation
from cutover_gate.evidence.recording import ScenarioRecord
from cutover_gate.evidence.results import ScenarioRun, line_results, merge, scenario_results, triggers_of

NODE = "features/en/test_x.py::test_canary"


def step(name: str, line: str | None, status: str = "PASS", at: str = "2025-03-01T09:00:00Z",
         message: str = "") -> StepRecord:
    return StepRecord(NODE, name, line, status, at, message)


def scenario(lines: list[str], steps: list[StepRecord], outcome: str, **kw: Any) -> ScenarioRun:
    return ScenarioRun(NODE, lines=lines, steps=steps, outcome=outcome, **kw)


def results_of(run: ScenarioRun) -> dict[str, Result]:
    return {lid: r.result for lid, r in scenario_results(run).items()}


LOOP = ["t0_deposit", "t0_withdraw_request", "t0_admin_approve"]


def test_a_passed_single_line_scenario_is_pass() -> None:
    run = scenario(["t15_api_health"], [step("When x", "t15_api_health"), step("Then y", "t15_api_health",
                                                                              at="2025-03-01T09:00:05Z")], "passed",
                   evidence={"t15_api_health": {"status": 200}})
    res = scenario_results(run)["t15_api_health"]
    assert res.result is Result.PASS
    assert res.at == "2025-03-01T09:00:05Z"
    assert res.evidence == {"status": 200}
    assert res.nodeids == [NODE]


def test_a_line_with_a_failing_step_is_fail_naming_the_step() -> None:
    run = scenario(["t15_api_health"], [step("When x", "t15_api_health"),
                                        step("Then y", "t15_api_health", "FAIL", message="got 503")], "failed")
    res = scenario_results(run)["t15_api_health"]
    assert res.result is Result.FAIL
    assert res.message == "step 'Then y': got 503"


def test_a_later_failure_keeps_earlier_lines_pass_and_blocks_the_rest() -> None:
    run = scenario(LOOP, [step("When deposit", "t0_deposit"),
                          step("And withdraw", "t0_withdraw_request", "FAIL", message="403 KYC")], "failed")
    res = scenario_results(run)
    assert res["t0_deposit"].result is Result.PASS
    assert res["t0_withdraw_request"].result is Result.FAIL
    assert res["t0_admin_approve"].result is Result.FAIL
    assert res["t0_admin_approve"].message == "blocked: step 'And withdraw' failed: 403 KYC"


def test_an_unattributed_failing_step_blocks_lines_not_reached() -> None:
    run = scenario(LOOP, [step("Given reachable", None, "FAIL", message="refused")], "failed")
    assert results_of(run) == dict.fromkeys(LOOP, Result.FAIL)


@pytest.mark.parametrize("outcome", ["skipped", "not_run"])
def test_a_skipped_or_not_run_scenario_leaves_its_lines_not_run(outcome: str) -> None:
    run = scenario(LOOP, [step("When deposit", "t0_deposit")], outcome, message="skipped: not here")
    res = scenario_results(run)
    assert {r.result for r in res.values()} == {Result.NOT_RUN}
    assert res["t0_deposit"].message == "skipped: not here"


def test_a_line_no_step_proved_is_not_run_in_a_passed_scenario() -> None:
    run = scenario(["t0_deposit", "t0_mark_paid"], [step("When deposit", "t0_deposit")], "passed")
    res = scenario_results(run)
    assert res["t0_deposit"].result is Result.PASS
    assert res["t0_mark_paid"].result is Result.NOT_RUN
    assert res["t0_mark_paid"].message == "no step of the scenario proved this line"


def test_non_contiguous_steps_of_a_line_are_a_feature_error() -> None:
    run = scenario(["t0_deposit", "t0_withdraw_request"],
                   [step("When deposit", "t0_deposit"), step("And withdraw", "t0_withdraw_request"),
                    step("And deposit again", "t0_deposit")], "passed")
    res = scenario_results(run)
    assert res["t0_deposit"].result is Result.FAIL
    assert res["t0_deposit"].message.startswith("feature error")
    assert res["t0_withdraw_request"].result is Result.PASS


def test_a_line_its_steps_mark_waived_is_waived() -> None:
    waived = {"t60_prod_env_verified": ["JWT_SECRET (OPS-1)"]}
    passed = scenario(["t60_prod_env_verified"], [step("Then ok", "t60_prod_env_verified")], "passed", waived=waived)
    assert results_of(passed) == {"t60_prod_env_verified": Result.WAIVED}


def test_a_waived_line_stays_waived_when_a_later_line_of_its_scenario_fails() -> None:
    waived = {"t60_prod_env_verified": ["JWT_SECRET (OPS-1)"]}
    run = scenario(["t60_prod_env_verified", "t60_cors_restricted"],
                   [step("Then env ok", "t60_prod_env_verified"),
                    step("Then cors", "t60_cors_restricted", "FAIL", message="allowed *")], "failed", waived=waived)
    assert results_of(run) == {"t60_prod_env_verified": Result.WAIVED, "t60_cors_restricted": Result.FAIL}


def test_a_failed_line_is_fail_even_if_its_evidence_said_waived() -> None:
    waived = {"t60_prod_env_verified": ["JWT_SECRET (OPS-1)"]}
    run = scenario(["t60_prod_env_verified"], [step("Then env", "t60_prod_env_verified", "FAIL", message="x")],
                   "failed", waived=waived)
    assert results_of(run) == {"t60_prod_env_verified": Result.FAIL}


def test_an_error_after_every_step_passed_is_fail() -> None:
    run = scenario(["t15_api_health"], [step("When x", "t15_api_health")], "error", message="teardown: boom")
    res = scenario_results(run)["t15_api_health"]
    assert res.result is Result.FAIL
    assert res.message == "error: teardown: boom"


def lr(result: Result, at: str | None = None, message: str = "", **evidence: Any) -> LineResult:
    return LineResult("t0_deposit", result, at=at, message=message, evidence=evidence, nodeids=[f"n{at}"])


@pytest.mark.parametrize(("inputs", "expected"), [
    ([Result.PASS, Result.PASS], Result.PASS),
    ([Result.PASS, Result.WAIVED], Result.WAIVED),
    ([Result.PASS, Result.NOT_RUN], Result.NOT_RUN),
    ([Result.WAIVED, Result.NOT_RUN], Result.NOT_RUN),
    ([Result.NOT_RUN, Result.FAIL, Result.PASS], Result.FAIL),
])
def test_merge_across_scenarios(inputs: list[Result], expected: Result) -> None:
    assert merge(lr(r) for r in inputs).result is expected


def test_merge_keeps_latest_time_all_evidence_nodeids_and_distinct_messages() -> None:
    merged = merge([lr(Result.FAIL, "2025-03-01T09:00:00Z", "a", x=1),
                    lr(Result.FAIL, "2025-03-01T09:05:00Z", "a", y=2),
                    lr(Result.FAIL, None, "b")])
    assert merged.id == "t0_deposit"
    assert merged.at == "2025-03-01T09:05:00Z"
    assert merged.evidence == {"x": 1, "y": 2}
    assert merged.nodeids == ["n2025-03-01T09:00:00Z", "n2025-03-01T09:05:00Z", "nNone"]
    assert merged.message == "a; b"


def test_line_results_merge_every_scenario_touching_a_line() -> None:
    ok = ScenarioRun("a", lines=["t15_api_health"], steps=[step("x", "t15_api_health")], outcome="passed")
    bad = ScenarioRun("b", lines=["t15_api_health", "t15_admin_login"],
                      steps=[step("y", "t15_api_health"), step("z", "t15_admin_login", "FAIL", message="401")],
                      outcome="failed")
    res = line_results([ok, bad])
    assert res["t15_api_health"].result is Result.PASS
    assert res["t15_api_health"].nodeids == ["a", "b"]
    assert res["t15_admin_login"].result is Result.FAIL


def test_absorb_merges_the_setup_call_and_teardown_payloads_once() -> None:
    run = ScenarioRun(NODE)
    setup = {"lines": ["t0_deposit"], "steps": [], "evidence": {}, "triggers": [], "http": []}
    trig = {"row": "latency_spike", "action": "MONITOR", "observed_at": "2025-03-01T09:00:00Z",
            "decide_by": "2025-03-01T09:05:00Z", "evidence": "slow", "line": "t0_deposit"}
    call = {"lines": ["t0_deposit"], "steps": [step("When deposit", "t0_deposit").to_json()],
            "evidence": {"t0_deposit": {"deposit_tx_id": "d1"}}, "triggers": [trig], "http": [{"url": "u"}]}
    for payload in (setup, call, call):
        run.absorb(ScenarioRecord.from_json({"nodeid": NODE, **payload}))
    assert run.lines == ["t0_deposit"]
    assert [s.step for s in run.steps] == ["When deposit"]
    assert run.evidence == {"t0_deposit": {"deposit_tx_id": "d1"}}
    assert [t.row for t in run.triggers] == ["latency_spike"]
    assert run.http == [{"url": "u"}]


def test_triggers_of_every_run_in_time_order() -> None:
    late = TriggerObservation("queue_backlog", "MONITOR", "2025-03-01T10:00:00Z", "2025-03-01T10:05:00Z", "q")
    early = TriggerObservation("latency_spike", "MONITOR", "2025-03-01T09:00:00Z", "2025-03-01T09:05:00Z", "l")
    runs = [ScenarioRun("a", triggers=[late]), ScenarioRun("b", triggers=[early])]
    assert [t.row for t in triggers_of(runs)] == ["latency_spike", "queue_backlog"]
