"""Hypercare and rollback against the embedded sandbox, run as a user runs them (`pytest -m hypercare|rollback`)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cutover_gate.core.catalogue import lines_of

from .conftest import ROOT, GateRun

RELEASE_SHA = tomllib.loads((ROOT / "fixtures" / "cutover.toml").read_text(encoding="utf-8"))["release"]["sha"]
HYPERCARE = [line.id for line in lines_of("hypercare")]
ROLLBACK = [line.id for line in lines_of("rollback") if not line.only_with]  # what `-m rollback` runs


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def watch_rounds(run: GateRun) -> list[dict[str, Any]]:
    record = json.loads((run.reports / "cutover_record.json").read_text(encoding="utf-8"))
    return list(record["releases"][RELEASE_SHA]["lines"]["hc_first_6h_watch"]["evidence"]["rounds"])


def test_a_healthy_watch_round_passes_and_72_hours_stay_open(gate: Callable[..., GateRun], gate_reports: Path
                                                             ) -> None:
    run = gate(gate_reports, "-m", "hypercare")
    out = run.output[-3000:]
    assert [run.line(lid)["result"] for lid in HYPERCARE] == ["PASS", "PASS", "PASS", "NOT_RUN"], out
    assert run.decision["decision"] == "PENDING", out  # hypercare lines never make a GO
    assert run.decision["triggers"] == []
    assert run.returncode == 0, out
    assert "72 hours stable not yet proven: stable so far for 0.0 h of 72 h" in run.output
    assert all(run.line(lid)["result"] == "NOT_RUN" for lid in ROLLBACK)
    report = (gate_reports / "hypercare_report.md").read_text(encoding="utf-8")
    assert report.startswith("# T+60 first hypercare report")
    assert "## Summary" in report and "## Metrics (this watch round)" in report and "## Actions" in report
    assert json.loads((gate_reports / "hypercare_report.json").read_text(encoding="utf-8"))["report_number"] == 1
    (only,) = watch_rounds(run)
    assert only["ok"] is True and only["triggers"] == []
    watch = run.line("hc_first_6h_watch")["evidence"]
    assert watch["payouts"].startswith("no data")  # the empty sandbox has no payouts: no rate, not a failure
    assert len(watch["invariants_checked"]) >= 5


def test_72_hours_of_clean_rounds_on_record_make_stable_pass(gate: Callable[..., GateRun], gate_reports: Path
                                                             ) -> None:
    now = datetime.now(UTC)
    rounds = [{"at": iso(now - timedelta(hours=h)), "ok": True, "triggers": [], "failures": []}
              for h in range(74, 0, -6)]
    earlier = {"id": "hc_first_6h_watch", "result": "PASS", "at": rounds[-1]["at"], "message": "",
               "evidence": {"rounds": rounds}, "nodeids": [], "release_sha": RELEASE_SHA, "run_id": "earlier"}
    report = {**earlier, "id": "hc_control_report_24h", "evidence": {"report_number": 12}}
    gate_reports.mkdir(parents=True)
    (gate_reports / "cutover_record.json").write_text(json.dumps({"releases": {RELEASE_SHA: {
        "lines": {"hc_first_6h_watch": earlier, "hc_control_report_24h": report}, "triggers": []}}}),
        encoding="utf-8")

    run = gate(gate_reports, "-m", "hypercare")

    stable = run.line("hc_stable_72h")
    assert stable["result"] == "PASS", run.output[-3000:]
    assert stable["evidence"]["stability"]["clean_rounds"] == len(rounds) + 1
    assert len(watch_rounds(run)) == len(rounds) + 1  # this run's round joined the record
    assert (gate_reports / "hypercare_report.md").read_text(encoding="utf-8").startswith(
        "# Hypercare control report #13")
    assert run.returncode == 0


def test_rollback_verification_passes_and_records_the_running_release(gate: Callable[..., GateRun],
                                                                       gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "rollback", "--lang", "tr")
    out = run.output[-3000:]
    assert [run.line(lid)["result"] for lid in ROLLBACK] == ["PASS", "PASS"], out
    evidence = run.line("rb_readonly_endpoints")["evidence"]
    assert evidence["running_git_sha"] == RELEASE_SHA
    assert set(evidence["endpoints"].values()) == {200}
    assert {"health", "version", "readiness", "dashboard", "finance withdrawals list"} <= set(evidence["endpoints"])
    assert all(run.line(lid)["result"] == "NOT_RUN" for lid in HYPERCARE)
    assert run.decision["decision"] == "PENDING" and run.returncode == 0, out


def test_rollback_fails_when_the_running_release_is_not_the_previous_one(gate: Callable[..., GateRun],
                                                                         gate_reports: Path, tmp_path: Path) -> None:
    previous = "1" * 40
    cutover = tmp_path / "cutover.toml"
    cutover.write_text(f'[release]\nsha = "{RELEASE_SHA}"\n\n[rollback]\nprevious_sha = "{previous}"\n',
                       encoding="utf-8")

    run = gate(gate_reports, "-m", "rollback", f"--cutover-file={cutover}")

    line = run.line("rb_readonly_endpoints")
    assert line["result"] == "FAIL"
    assert f"the running release {RELEASE_SHA} is not the previous release {previous}" in line["message"]
    assert run.decision["decision"] == "NO-GO" and run.returncode != 0


def test_hypercare_and_rollback_run_only_when_selected(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    ours = ("test_one_watch_round_of_the_hypercare_routine", "test_hours_stable",
            "test_readonly_endpoints_answer_on_the_restored_release", "test_admin_login_works_on_the_restored_release")
    default = gate(gate_reports, "--collect-only", "-q")
    assert "test_canary_money_loop" in default.output
    assert not [name for name in ours if name in default.output], default.output[-3000:]
    selected = gate(gate_reports, "--collect-only", "-q", "-m", "hypercare or rollback")
    assert all(name in selected.output for name in ours), selected.output[-3000:]
    assert "test_canary_money_loop" not in selected.output
    assert f"{len(HYPERCARE) + len(ROLLBACK)}/" in selected.output  # one scenario per line
