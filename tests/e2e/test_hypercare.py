"""Hypercare and rollback against the embedded sandbox, run as a user runs them (`pytest -m hypercare|rollback`)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from cutover_gate.core.catalogue import MONEY_LOOP, lines_of, smoke_lines
from cutover_gate.evidence.canary_keys import REPORT_FIELDS

from .conftest import ROOT, GateRun, Standalone, serve_sandbox

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
    assert watch["queue"]["source"] == "sql" and watch["queue"]["complete"] is True  # computed in the database
    assert watch["interval"].startswith("since the platform's counters started")  # no T-0 baseline on record
    assert only["counters"]["requests"]  # the next round's baseline, kept in the record
    recon = json.loads((gate_reports / "reconciliation_report.json").read_text(encoding="utf-8"))
    assert recon["result"] == "CLEAN" and recon["differences"]["count"] == 0
    assert (gate_reports / "reconciliation_report.md").read_text(encoding="utf-8").startswith(
        "# Daily reconciliation report")
    assert run.decision["completion"]["status"] == "OPEN"  # one run cannot complete go-live


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


def test_t0_leaves_the_baseline_the_first_round_judges_since_it_and_a_restart_is_seen(
        gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t0 or hypercare")
    out = run.output[-3000:]
    baseline = run.line("t0_canary_report")["evidence"]["metrics_baseline"]
    assert baseline["requests"] and run.line("t0_canary_report")["result"] == "PASS", out
    (first,) = watch_rounds(run)
    assert first["interval"]["basis"] == "t0_baseline" and first["interval"]["from"] == baseline["at"], first
    assert run.line("hc_first_6h_watch")["evidence"]["interval"].startswith(
        f"since the T-0 baseline at {baseline['at']}")
    assert first["interval"]["requests"] > 0 and first["ok"] is True and first["restart"] is None

    again = gate(gate_reports, "-m", "hypercare")  # another run: a new embedded sandbox, its counters start again
    rounds = watch_rounds(again)
    assert len(rounds) == 2 and rounds[-1]["interval"]["basis"] == "previous_round"
    assert rounds[-1]["interval"]["from"] == first["at"]
    assert rounds[-1]["restart"], rounds[-1]  # reported, never read as a negative rate
    assert rounds[-1]["interval"]["errors_5xx"] >= 0 and rounds[-1]["interval"]["requests"] > 0
    findings = again.line("hc_first_6h_watch")["evidence"]["findings"]
    assert [f["severity"] for f in findings if f["check"] == "restart"] == ["MONITOR"]
    assert again.line("hc_first_6h_watch")["result"] == "PASS", again.output[-3000:]
    assert "the platform restarted" in (gate_reports / "hypercare_report.md").read_text(encoding="utf-8")


def _against(gate: Callable[..., GateRun], reports: Path, sandbox: Standalone, *args: str) -> GateRun:
    return gate(reports, "-m", "hypercare", "--target-url", sandbox.url, "--env-name", "staging",
                f"--release-sha={RELEASE_SHA}", *args, env={**sandbox.env, "CUTOVER_DB_DSN": sandbox.dsn})


def test_a_5xx_burst_between_two_rounds_fails_the_round_whose_interval_holds_it(
        gate: Callable[..., GateRun], gate_reports: Path) -> None:
    with serve_sandbox("error_burst_before_round") as sandbox:
        first = _against(gate, gate_reports, sandbox).line("hc_first_6h_watch")  # reports are rewritten: read now
        assert "since the platform's counters started" in first["message"]
        quiet = _against(gate, gate_reports, sandbox)
        assert quiet.line("hc_first_6h_watch")["result"] == "PASS", quiet.output[-3000:]  # nothing new since
        for _ in range(40):  # the platform fails 40 requests while nobody is looking
            assert requests.get(f"{sandbox.url}/api/health", headers={"X-Sandbox-Burst": "1"}, timeout=5
                                ).status_code == 503
        spanned = _against(gate, gate_reports, sandbox)
        line = spanned.line("hc_first_6h_watch")
        assert line["result"] == "FAIL" and "since the previous round at" in line["message"], spanned.output[-3000:]
        assert "(40 of " in line["message"]
        after = _against(gate, gate_reports, sandbox)
    assert after.line("hc_first_6h_watch")["result"] == "PASS"  # the interval, not everything since the start
    rounds = watch_rounds(after)
    assert [r["ok"] for r in rounds] == [False, True, False, True] and all(r["restart"] is None for r in rounds)
    assert [bool(r["spike"]) for r in rounds] == [True, False, True, False]


def test_without_a_dsn_a_queue_longer_than_the_page_budget_is_read_in_part_and_said_so(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path) -> None:
    profile = tmp_path / "small-pages.toml"
    profile.write_text("[hypercare]\npage_limit = 3\nmax_pages = 1\n", encoding="utf-8")
    with serve_sandbox("payout_failure_spike") as sandbox:  # 8 failed payouts: more than one page of 3
        run = gate(gate_reports, "-m", "hypercare", "--target-url", sandbox.url, "--env-name", "staging",
                   f"--release-sha={RELEASE_SHA}", f"--profile={profile}", env=dict(sandbox.env))
    watch = run.line("hc_first_6h_watch")
    assert watch["evidence"]["queue"]["source"] == "api" and watch["evidence"]["queue"]["complete"] is False
    note = watch["evidence"]["queue"]["note"]
    assert "incomplete: read" in note and "payout_failed (3 of 8 read)" in note, note
    (last,) = watch_rounds(run)
    assert last["queue"]["complete"] is False and last["ok"] is False
    report = run.line("hc_control_report_24h")
    assert report["result"] == "FAIL" and "withdrawals incomplete" in report["message"]
    assert "incomplete: read" in (gate_reports / "hypercare_report.md").read_text(encoding="utf-8")
    assert run.decision["completion"]["criteria"][3]["holds"] is False  # a half-read queue is not under control


def _passed(lid: str, at: str, **evidence: Any) -> dict[str, Any]:
    return {"id": lid, "result": "PASS", "at": at, "message": "", "evidence": evidence, "nodeids": [],
            "release_sha": RELEASE_SHA, "run_id": "earlier"}


def completed_record(now: datetime, *, spike_at_hours: float | None = None) -> dict[str, Any]:
    """A release 26 h after T-0: smoke and canary PASS, rounds every 30 min since, the last control report."""
    t0 = now - timedelta(hours=26)
    lines = {sub.id: _passed(sub.id, iso(t0 - timedelta(minutes=15))) for sub in smoke_lines()}
    lines.update({lid: _passed(lid, iso(t0), **dict.fromkeys(REPORT_FIELDS, "x")) for lid in MONEY_LOOP})
    lines["t0_canary_report"] = _passed("t0_canary_report", iso(t0), metrics_baseline={"at": iso(t0)},
                                        footprint_recorded=True)
    rounds, start = [], t0
    for k in range(1, 52):
        at = t0 + timedelta(minutes=30 * k)
        spike = "5xx rate 9.0% over 2.0%" if spike_at_hours is not None and k == int(spike_at_hours * 2) else None
        rounds.append({"at": iso(at), "ok": spike is None, "triggers": [], "failures": [], "backlog": 0, "stuck": 0,
                       "queue": {"source": "sql", "complete": True}, "spike": spike,
                       "interval": {"from": iso(start), "to": iso(at), "basis": "previous_round"}})
        start = at
    lines["hc_first_6h_watch"] = _passed("hc_first_6h_watch", rounds[-1]["at"], rounds=rounds)
    lines["hc_control_report_24h"] = _passed("hc_control_report_24h", rounds[-1]["at"], report_number=30)
    return {"releases": {RELEASE_SHA: {"lines": lines, "triggers": []}}}


def test_go_live_completion_is_computed_from_the_record(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    gate_reports.mkdir(parents=True)
    record = gate_reports / "cutover_record.json"
    record.write_text(json.dumps(completed_record(datetime.now(UTC))), encoding="utf-8")
    run = gate(gate_reports, "-m", "hypercare")
    done = run.decision["completion"]
    assert done["status"] == "COMPLETED", json.dumps(done, indent=1)
    assert run.decision["decision"] in ("PENDING", "GO")  # CONTRACT §2's fields stay as they are
    assert "## Go-live completion: COMPLETED" in (gate_reports / "decision.md").read_text(encoding="utf-8")

    record.write_text(json.dumps(completed_record(datetime.now(UTC), spike_at_hours=1.5)), encoding="utf-8")
    spiked = gate(gate_reports, "-m", "hypercare", "--lang", "tr")
    done = spiked.decision["completion"]
    assert done["status"] == "OPEN" and done["open"] == ["no_5xx_spike_first_2h"], json.dumps(done, indent=1)
    assert "İlk 2 saatte 5xx sıçraması yok" in (gate_reports / "decision.md").read_text(encoding="utf-8")
