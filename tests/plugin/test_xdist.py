"""Under xdist the controller gathers what every worker's scenarios recorded: the same decision as a serial run."""

from __future__ import annotations

from typing import Any

from tests.plugin.conftest import GateProject, GateResult, mandatory_features


def summary(run: GateResult) -> dict[str, Any]:
    decision = run.decision
    return {
        "decision": decision["decision"],
        "phases": decision["phases"],
        "checklist": [(c["id"], c["result"], c["message"]) for c in decision["checklist"]],
        "triggers": sorted((t["row"], t["action"], t["line"]) for t in decision["triggers"]),
    }


def test_two_workers_give_the_serial_decision(project: GateProject) -> None:
    features = mandatory_features({
        "t15_payouts_router": ("Given the check passes", 'When the check fails with "router missing"'),
        "t15_api_health": ("Given the check passes", 'When the trigger "latency_spike" is observed'),
    })
    project.features({"t15_lines": features["t15_lines"]})
    project.feature("canary", """
        @t0
        Feature: canary

          @t0_deposit @t0_withdraw_request @t0_admin_approve @t0_mark_paid
          Scenario: money loop
            When the deposit is made
            And the withdrawal is requested
            And the admin approval is refused
            Then the payout is marked paid
    """)

    serial = project.run(sha=None)
    parallel = project.run("-p", "xdist", "-n", "2", sha=None)

    assert "2 workers" in parallel.output
    parallel.run.assert_outcomes(passed=6, failed=1, skipped=1)  # the T-15 FAIL blocks the canary (it moves money)
    assert summary(parallel) == summary(serial)
    assert summary(serial)["decision"] == "NO-GO"
    assert parallel.ret != 0
