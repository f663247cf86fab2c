"""The second dialect: the sandbox behind another platform's API (`CUTOVER_SANDBOX_DIALECT=alt`), driven by
`fixtures/profiles/alt.toml` alone. Healthy it reaches GO; every fault of the catalogue is caught by the same line (and
raises the same row) as on the default dialect; the default profile does not drive it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_sandbox.faults import Fault, for_dialect

from .conftest import ROOT, GateRun, serve_sandbox

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


@pytest.mark.parametrize("fault", for_dialect("alt"), ids=lambda f: f.name)
def test_each_fault_is_caught_by_its_line_on_the_alt_dialect(fault: Fault, gate: Callable[..., GateRun],
                                                             gate_reports: Path) -> None:
    phase = LINES_BY_ID[fault.line].phase
    selection = ("-m", phase) if fault.expect != "GO" else ()
    run = gate(gate_reports, PROFILE, *selection, faults=(fault.name,), env=ALT)
    run.caught(fault)


def test_hypercare_and_rollback_rounds_are_clean_on_the_healthy_alt_dialect(gate: Callable[..., GateRun],
                                                                             gate_reports: Path) -> None:
    for phase in ("hypercare", "rollback"):
        run = gate(gate_reports / phase, PROFILE, "-m", phase, env=ALT)
        failed = {c["id"]: c["message"] for c in run.decision["checklist"] if c["result"] == "FAIL"}
        assert failed == {}, (phase, failed, run.output[-3000:])
        assert run.decision["triggers"] == [], run.decision["triggers"]


def test_a_tenant_the_platform_does_not_have_is_a_fail_that_names_it(gate: Callable[..., GateRun],
                                                                     gate_reports: Path, tmp_path: Path) -> None:
    fixtures = ROOT / "fixtures"
    text = (fixtures / "cutover.toml").read_text(encoding="utf-8")
    for key in ("env/prod.env", "waivers/register.valid.md", "rc-proof", "restore/restore-procedure.md"):
        text = text.replace(f'"{key}"', f'"{fixtures / key}"')
    cutover = tmp_path / "cutover.toml"
    cutover.write_text(text.replace("[canary]\n", '[canary]\ntenant_id = "casino-nowhere"\n'), encoding="utf-8")
    run = gate(gate_reports, PROFILE, f"--cutover-file={cutover}", "-m", "t0", "-k", "money_loop", env=ALT)
    line = run.line("t0_deposit")
    assert line["result"] == "FAIL" and "no tenant 'casino-nowhere'" in line["message"], line
    assert run.decision["decision"] == "NO-GO"


def test_a_registration_rate_limit_is_waited_out_within_its_retry_after(gate: Callable[..., GateRun],
                                                                         tmp_path: Path) -> None:
    """An alt platform that takes one registration per 25 s, the one just used: the gate's registration is answered
    429 with Retry-After, waited out (within the 30 s a call may wait), and its canary money loop passes."""
    limit = {"CUTOVER_SANDBOX_DIALECT": "alt", "CUTOVER_REGISTER_RATE_LIMIT": "1",
             "CUTOVER_REGISTER_RATE_WINDOW_SECONDS": "25"}
    with serve_sandbox(extra=limit) as box:
        session = requests.Session()
        session.trust_env = False  # loopback only
        first = session.post(f"{box.url}/v2/members", timeout=10, json={
            "mail": "first@rate.invalid", "pass": "Rate-limit-first-1", "handle": "first", "mobile": "+900000000001",
            "tenant": "casino-eu"})
        assert first.status_code == 201, first.text
        env = {**box.env, "CUTOVER_DB_DSN": box.dsn, "CUTOVER_VERIFY_CODE": "424242"}
        run = gate(tmp_path / "run", PROFILE, f"--target-url={box.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'alt.cutover.toml'}", "-m", "t0", "-k", "money_loop", env=env)
    assert run.line("t0_deposit")["result"] == "PASS", run.output[-3000:]
    evidence = (tmp_path / "run" / "evidence" / "t0_deposit.json").read_text(encoding="utf-8")
    assert '"status": 429' in evidence, "the registration was not rate limited"
