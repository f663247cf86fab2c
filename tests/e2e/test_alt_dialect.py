"""The second dialect: the sandbox behind another platform's API (`CUTOVER_SANDBOX_DIALECT=alt`), driven by
`fixtures/profiles/alt.toml` alone. Healthy it reaches GO; every fault of the catalogue fails the same line and raises
the same row as on the default dialect; the default profile does not drive it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_sandbox.faults import CATALOGUE, Fault

from .conftest import ROOT, GateRun

ALT = {"CUTOVER_SANDBOX_DIALECT": "alt"}
PROFILE = f"--profile={ROOT / 'fixtures' / 'profiles' / 'alt.toml'}"


def test_the_alt_dialect_reaches_go_with_its_profile(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, PROFILE, env=ALT)
    decision = run.decision
    assert decision["decision"] == "GO", run.output[-4000:]
    assert decision["phases"] == {"t60": "PASS", "t30": "PASS", "t15": "PASS", "t0": "PASS"}
    assert decision["triggers"] == [] and run.returncode == 0
    assert "dialect: alt" in (gate_reports / "sandbox.log").read_text(encoding="utf-8")
    evidence = (gate_reports / "evidence" / "t0_admin_approve.json").read_text(encoding="utf-8")
    assert "/v2/backoffice/cashouts/" in evidence and "/api/v1/" not in evidence


def test_the_default_profile_does_not_drive_the_alt_dialect(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t15", env=ALT)
    assert run.decision["decision"] == "NO-GO" and run.returncode == 1
    lines = {c["id"]: c["message"] for c in run.decision["checklist"]}
    assert "/api/health" in lines["t15_api_health"] and "404" in lines["t15_api_health"]


@pytest.mark.parametrize("fault", CATALOGUE, ids=lambda f: f.name)
def test_each_fault_is_caught_by_its_line_on_the_alt_dialect(fault: Fault, gate: Callable[..., GateRun],
                                                             gate_reports: Path) -> None:
    phase = LINES_BY_ID[fault.line].phase
    run = gate(gate_reports, PROFILE, "-m", phase, faults=(fault.name,), env=ALT)
    decision = run.decision
    assert decision["decision"] == "NO-GO", run.output[-3000:]
    assert run.line(fault.line)["result"] == "FAIL", (run.line(fault.line), run.output[-3000:])
    if fault.trigger:
        assert fault.trigger in run.trigger_rows(), decision["triggers"]
    assert run.returncode != 0


def test_hypercare_and_rollback_rounds_are_clean_on_the_healthy_alt_dialect(gate: Callable[..., GateRun],
                                                                             gate_reports: Path) -> None:
    for phase in ("hypercare", "rollback"):
        run = gate(gate_reports / phase, PROFILE, "-m", phase, env=ALT)
        failed = {c["id"]: c["message"] for c in run.decision["checklist"] if c["result"] == "FAIL"}
        assert failed == {}, (phase, failed, run.output[-3000:])
        assert run.decision["triggers"] == [], run.decision["triggers"]
