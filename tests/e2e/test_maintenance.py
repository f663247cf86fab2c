"""The maintenance window through the real gate and sandbox: the maintenance page while the window is open (only when
selected), traffic open at T-0 and after a rollback, each line FAILing in the other state. The sandbox's flag file is
switched between runs, as an operator switches the ingress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import GateRun

MAINTENANCE_LINES = ("t15_maintenance_page", "t0_traffic_open", "rb_maintenance_page", "rb_traffic_reopened")


@pytest.fixture
def flag(tmp_path: Path) -> Path:
    return tmp_path / "maintenance.on"


def with_flag(flag: Path) -> dict[str, str]:
    return {"CUTOVER_SANDBOX_MAINTENANCE_FLAG": str(flag)}


WINDOW_STATES: dict[str, tuple[bool, str, tuple[str, str], tuple[str, str]]] = {
    # window: (flag set, the lines run, the two lines that PASS, the line that FAILs and why)
    "open": (True, "maintenance or t0_traffic_open or (rollback and maintenance)",
             ("t15_maintenance_page", "rb_maintenance_page"),
             ("t0_traffic_open", "still answers with the maintenance page (503)")),
    "closed": (False, "maintenance or t0_traffic_open or (rollback and reopened)",
               ("t0_traffic_open", "rb_traffic_reopened"),
               ("t15_maintenance_page", "ingress is not blocked")),
}


@pytest.mark.parametrize("window", sorted(WINDOW_STATES))
def test_each_window_check_passes_in_its_state_and_fails_in_the_other(gate: Callable[..., GateRun], tmp_path: Path,
                                                                      flag: Path, window: str) -> None:
    """Open: the maintenance page answers and traffic is not open. Closed: traffic is open and the page is gone."""
    flag_set, marker, passing, (failing, why) = WINDOW_STATES[window]
    if flag_set:
        flag.touch()
    run = gate(tmp_path / window, "-m", marker, env=with_flag(flag))
    assert [run.line(lid)["result"] for lid in passing] == ["PASS", "PASS"], run.output[-3000:]
    failed = run.line(failing)
    assert failed["result"] == "FAIL" and why in failed["message"]
    assert run.decision["decision"] == "NO-GO" and run.decision["phases"][failed["phase"]] == "FAIL"


def test_window_checks_run_only_when_named(gate: Callable[..., GateRun], tmp_path: Path, flag: Path) -> None:
    """A bare cutover and a plain rollback run never hold the page to one state: only T-0's traffic check runs."""
    flag.touch()
    run = gate(tmp_path / "plain", "-m", "t15 or rollback", env=with_flag(flag))
    assert {lid: run.line(lid)["result"] for lid in MAINTENANCE_LINES} == dict.fromkeys(MAINTENANCE_LINES, "NOT_RUN")
    assert run.line("rb_login")["result"] == "PASS" and run.line("t15_api_health")["result"] == "PASS"
    assert run.decision["phases"]["t15"] == "PASS", run.output[-3000:]
