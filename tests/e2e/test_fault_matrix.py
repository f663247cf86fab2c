"""Every fault in the sandbox's catalogue is caught by the checklist line it names; the healthy sandbox passes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_sandbox.faults import CATALOGUE, Fault

from .conftest import GateRun


def test_healthy_sandbox_passes_t15_and_t0(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t15 or t0")
    decision = run.decision
    assert decision["phases"]["t15"] == "PASS", run.output[-3000:]
    assert decision["phases"]["t0"] == "PASS", run.output[-3000:]
    assert decision["triggers"] == []
    assert decision["decision"] in ("PENDING", "GO")
    assert run.returncode == 0, run.output[-3000:]


@pytest.mark.parametrize("fault", CATALOGUE, ids=lambda f: f.name)
def test_fault_is_caught_by_its_line(fault: Fault, gate: Callable[..., GateRun], gate_reports: Path) -> None:
    phase = LINES_BY_ID[fault.line].phase
    run = gate(gate_reports, "-m", phase, faults=(fault.name,))
    decision = run.decision
    assert decision["decision"] == "NO-GO", run.output[-3000:]
    assert run.line(fault.line)["result"] == "FAIL", run.output[-3000:]
    if fault.trigger:
        assert fault.trigger in run.trigger_rows(), decision["triggers"]
    assert run.returncode != 0
