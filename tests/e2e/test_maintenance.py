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


def test_the_maintenance_page_answers_while_the_window_is_open(gate: Callable[..., GateRun], tmp_path: Path,
                                                               flag: Path) -> None:
    flag.touch()
    run = gate(tmp_path / "on", "-m", "maintenance or t0_traffic_open or (rollback and maintenance)",
               env=with_flag(flag))
    assert run.line("t15_maintenance_page")["result"] == "PASS", run.output[-3000:]
    assert run.line("rb_maintenance_page")["result"] == "PASS"
    traffic = run.line("t0_traffic_open")
    assert traffic["result"] == "FAIL" and "still answers with the maintenance page (503)" in traffic["message"]
    assert run.decision["decision"] == "NO-GO" and run.decision["phases"]["t0"] == "FAIL"


def test_traffic_is_open_once_the_window_closes(gate: Callable[..., GateRun], tmp_path: Path, flag: Path) -> None:
    run = gate(tmp_path / "off", "-m", "maintenance or t0_traffic_open or (rollback and reopened)",
               env=with_flag(flag))
    assert run.line("t0_traffic_open")["result"] == "PASS", run.output[-3000:]
    assert run.line("rb_traffic_reopened")["result"] == "PASS"
    page = run.line("t15_maintenance_page")
    assert page["result"] == "FAIL" and "ingress is not blocked" in page["message"]


def test_window_checks_run_only_when_named(gate: Callable[..., GateRun], tmp_path: Path, flag: Path) -> None:
    """A bare cutover and a plain rollback run never hold the page to one state: only T-0's traffic check runs."""
    flag.touch()
    run = gate(tmp_path / "plain", "-m", "t15 or rollback", env=with_flag(flag))
    assert {lid: run.line(lid)["result"] for lid in MAINTENANCE_LINES} == dict.fromkeys(MAINTENANCE_LINES, "NOT_RUN")
    assert run.line("rb_login")["result"] == "PASS" and run.line("t15_api_health")["result"] == "PASS"
    assert run.decision["phases"]["t15"] == "PASS", run.output[-3000:]
