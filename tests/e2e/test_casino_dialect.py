"""The third dialect, a real platform's habits (`CUTOVER_SANDBOX_DIALECT=casino`): nested error codes, payouts that
settle in the payout call, success in the body, a deposit method with its own route, an admin UI's approve and
mark-paid beside the finance API's, a risk engine and a hex Adyen key. Driven by `fixtures/profiles/casino.toml`
(and its cutover file's payout-flow waiver) alone, it reaches GO; each of its faults is caught by its line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_sandbox.faults import Fault, for_dialect

from .conftest import ROOT, GateRun

CASINO = {"CUTOVER_SANDBOX_DIALECT": "casino"}
PROFILE = f"--profile={ROOT / 'fixtures' / 'profiles' / 'casino.toml'}"
CUTOVER = f"--cutover-file={ROOT / 'fixtures' / 'casino.cutover.toml'}"
OWN_FAULTS = [f for f in for_dialect("casino") if f.dialects == ("casino",)]


def evidence(run: GateRun, line: str) -> dict[str, object]:
    data = json.loads((run.reports / "evidence" / f"{line}.json").read_text(encoding="utf-8"))
    found: dict[str, object] = data["result"]["evidence"]
    return found


def test_the_casino_platform_reaches_go_by_its_profile(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, PROFILE, CUTOVER, env=CASINO)
    assert run.decision["decision"] == "GO", run.output[-4000:]
    assert run.decision["triggers"] == [] and run.returncode == 0
    # the payout flow makes the payout route's replay and classification probes impossible: waived, never a FAIL
    for lid in ("t0_webhook_replay", "t0_webhook_classification"):
        assert run.line(lid)["result"] == "WAIVED", run.line(lid)
    assert evidence(run, "t0_mark_paid")["settled_by"] == "calls.withdrawal_payout (flows.payout = sync)"
    assert evidence(run, "t0_alternate_paths")["alternate_paths"] == [
        "calls.admin_withdrawal_approve + calls.admin_withdrawal_mark_paid"]
    text = (gate_reports / "evidence" / "t0_psp_deposit.json").read_text(encoding="utf-8")
    assert "/api/v1/payments/adyen/checkout/session" in text  # the method's own route


def test_without_the_waiver_the_impossible_probes_are_not_run_never_a_false_fail(
        gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, PROFILE, "-m", "t0", "-k", "money_loop or replayed or never_booked", env=CASINO)
    for lid in ("t0_webhook_replay", "t0_webhook_classification"):
        line = run.line(lid)
        assert line["result"] == "NOT_RUN", (line, run.output[-3000:])
        assert "flows.payout = sync" in line["message"] and "payout_flow_waiver" in line["message"]
    assert run.decision["triggers"] == []


@pytest.mark.parametrize("fault", OWN_FAULTS, ids=lambda f: f.name)
def test_each_casino_fault_is_caught_by_its_line(fault: Fault, gate: Callable[..., GateRun],
                                                 gate_reports: Path) -> None:
    phase = LINES_BY_ID[fault.line].phase
    run = gate(gate_reports, PROFILE, CUTOVER, "-m", phase, faults=(fault.name,), env=CASINO)
    run.caught(fault)
    message = run.line(fault.line)["message"]
    if fault.name == "admin_ui_payout_500":
        assert "calls.admin_withdrawal_mark_paid" in message or "calls.admin_withdrawal_approve" in message
    if fault.name == "confirm_always_ok_false":
        assert "its body says it failed (ok = false" in message
    if fault.name == "risk_engine_strict":
        assert "the platform's risk control refused the probe (403 RISK_BLOCK)" in message
