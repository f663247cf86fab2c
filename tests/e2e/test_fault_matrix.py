"""Every fault in the sandbox's catalogue is caught by the checklist line it names; the healthy sandbox passes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_sandbox.faults import Fault, for_dialect

from .conftest import GateRun


def test_healthy_sandbox_passes_t15_and_t0(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t15 or t0")
    decision = run.decision
    assert decision["phases"]["t15"] == "PASS", run.output[-3000:]
    assert decision["phases"]["t0"] == "PASS", run.output[-3000:]
    assert decision["triggers"] == []
    assert decision["decision"] in ("PENDING", "GO")
    assert run.returncode == 0, run.output[-3000:]


@pytest.mark.parametrize("fault", for_dialect("default"), ids=lambda f: f.name)
def test_fault_is_caught_by_its_line(fault: Fault, gate: Callable[..., GateRun], gate_reports: Path) -> None:
    phase = LINES_BY_ID[fault.line].phase
    # a condition that is no defect runs the whole gate: it must still reach GO, without a false item
    selection = ("-m", phase) if fault.expect != "GO" else ()
    run = gate(gate_reports, *selection, faults=(fault.name,))
    run.caught(fault)


def test_a_stuck_psp_fails_the_psp_line_alone_when_the_canary_deposits_synchronously(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path) -> None:
    """t0_psp_deposit is its own proof: with the canary on a synchronous method the money loop passes and the
    PSP's asynchronous path still fails when the PSP never calls back."""
    root = Path(__file__).resolve().parents[2] / "fixtures"
    text = (root / "cutover.toml").read_text(encoding="utf-8").replace('deposit_method = "card"',
                                                                      'deposit_method = "test"')
    for key in ("env/prod.env", "waivers/register.valid.md", "rc-proof", "restore/restore-procedure.md"):
        text = text.replace(f'"{key}"', f'"{root / key}"')
    cutover = tmp_path / "cutover.toml"
    cutover.write_text(text, encoding="utf-8")
    run = gate(gate_reports, "-m", "t0", f"--cutover-file={cutover}", "-k", "money_loop or psp",
               faults=("deposit_stuck_pending",))
    assert run.line("t0_deposit")["result"] == "PASS", run.output[-3000:]
    assert run.line("t0_psp_deposit")["result"] == "FAIL", run.output[-3000:]
    assert run.decision["decision"] == "NO-GO"
