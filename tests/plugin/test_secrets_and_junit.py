"""A secret in a failure message or in evidence reaches no report file and no output; junit.xml names the lines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cutover_gate.core.redact import MASK
from tests.plugin.conftest import GateProject, feature, scenario

PASSWORD = "Kp4-distinctive-admin-passphrase-7731"

DEPOSIT_AND_WITHDRAW = """  @t0_deposit @t0_withdraw_request
  Scenario: deposit and withdraw
    When the deposit is made
    And the withdrawal is requested
"""
"""One scenario that proves two lines."""


def test_a_secret_in_a_failure_and_in_evidence_is_in_no_report_and_no_output(project: GateProject,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    project.with_admin_login(monkeypatch, PASSWORD, "Given the check passes",
                             "When the admin login fails revealing the password")

    run = project.run()

    run.run.assert_outcomes(failed=1)
    line = run.line("t15_admin_login")
    assert line["result"] == "FAIL"
    assert line["message"] == f"step 'When the admin login fails revealing the password': " \
                              f"admin login refused for password {MASK}"
    assert line["evidence"] == {"attempt": f"login with {MASK}"}
    assert {"decision.json", "junit.xml", "report.html", "timeline.jsonl", "t15_admin_login.json"} <= {
        p.name for p in project.reports.rglob("*") if p.is_file()}
    assert project.reports_holding(PASSWORD) == []
    assert PASSWORD not in run.output
    assert "admin login refused for password" in run.output


def test_a_secret_a_step_prints_or_logs_is_in_no_report_and_no_output(project: GateProject,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Captured stdout and log records travel in the test report (the terminal, report.html): scrubbed too."""
    project.with_admin_login(monkeypatch, PASSWORD, "When a debugging step logs the password")

    run = project.run()

    run.run.assert_outcomes(failed=1)
    assert "login payload password=" in run.output
    assert project.reports_holding(PASSWORD) == []
    assert PASSWORD not in run.output


def test_junit_test_cases_carry_their_checklist_ids(project: GateProject) -> None:
    project.feature("canary", feature("@t0", "canary", [
        DEPOSIT_AND_WITHDRAW,
        scenario("t0_idempotency", "Given the check passes", 'When the check fails with "second deposit credited"',
                 name="idempotency")]))

    project.run()

    root = ET.parse(project.reports / "junit.xml").getroot()
    found: dict[str | None, set[str]] = {}
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        found[case.get("name")] = set((props.get("checklist_id") or "").split(",")) - {""}
    assert found == {"test_deposit_and_withdraw": {"t0_deposit", "t0_withdraw_request"},
                     "test_idempotency": {"t0_idempotency"}}


def test_evidence_file_of_a_line_holds_its_steps(project: GateProject) -> None:
    project.feature("canary", feature("@t0", "canary", [DEPOSIT_AND_WITHDRAW]))

    run = project.run()

    assert run.line("t0_deposit")["ref"] == "evidence/t0_deposit.json"
    data = json.loads((project.reports / "evidence" / "t0_deposit.json").read_text(encoding="utf-8"))
    assert data["result"]["result"] == "PASS"
    assert [s["step"] for s in data["steps"]] == ["When the deposit is made"]
