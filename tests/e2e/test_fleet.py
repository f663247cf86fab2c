"""A cutover of several targets (one cutover file, `[targets.<name>]`): under `pytest -n 2` two embedded sandboxes
run in parallel, one per worker, each with its own decision; the combined decision is GO only when every target is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .conftest import ROOT, GateRun

FIXTURES = ROOT / "fixtures"


def fleet_file(tmp_path: Path, targets: str) -> Path:
    text = (FIXTURES / "cutover.toml").read_text(encoding="utf-8")
    for key in ("env/prod.env", "waivers/register.valid.md", "rc-proof", "restore/restore-procedure.md"):
        text = text.replace(f'"{key}"', f'"{FIXTURES / key}"')
    path = tmp_path / "fleet.toml"
    path.write_text(text + "\n" + targets, encoding="utf-8")
    return path


def test_two_sandboxes_in_parallel_one_faulty_make_the_combined_decision_no_go(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path) -> None:
    cutover = fleet_file(tmp_path, '[targets.eu]\n\n[targets.tr]\nsandbox_faults = ["withdraw_no_hold"]\n')
    stale = gate_reports / "targets" / "tr" / "decision.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"decision": "GO"}), encoding="utf-8")  # an earlier run's: must never count
    run = gate(gate_reports, f"--cutover-file={cutover}", "-n", "2")
    combined = run.decision
    assert combined["decision"] == "NO-GO", run.output[-3000:]
    assert run.returncode == 1
    assert combined["targets"]["eu"]["decision"] == "GO" and combined["targets"]["eu"]["exit_code"] == 0
    assert combined["targets"]["tr"]["decision"] == "NO-GO" and combined["targets"]["tr"]["exit_code"] == 1
    assert combined["phases"] == {"t60": "PASS", "t30": "PASS", "t15": "PASS", "t0": "FAIL"}
    line = next(c for c in combined["checklist"] if c["id"] == "t0_withdraw_request")
    assert line["result"] == "FAIL" and line["targets"] == {"eu": "PASS", "tr": "FAIL"}
    assert line["ref"].startswith("targets/tr/")
    assert {(t["target"], t["row"]) for t in combined["triggers"]} == {("tr", "ledger_invariant_breach")}
    # each target is a whole run of its own: its own sandbox, reports, record and decision
    for name, verdict in (("eu", "GO"), ("tr", "NO-GO")):
        own = json.loads((gate_reports / "targets" / name / "decision.json").read_text(encoding="utf-8"))
        assert own["decision"] == verdict
        assert (gate_reports / "targets" / name / "canary_report.md").is_file()
    assert "2 workers" in run.output  # xdist ran them side by side, one target per worker
    md = (gate_reports / "decision.md").read_text(encoding="utf-8")
    assert "| tr | **NO-GO** |" in md and "| eu | **GO** |" in md


def test_every_target_go_is_go_and_a_target_that_cannot_start_is_no_go(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path) -> None:
    cutover = fleet_file(tmp_path, '[targets.eu]\n\n[targets.tr]\n[targets.tr.canary]\ndeposit_amount = "8"\n')
    run = gate(gate_reports, f"--cutover-file={cutover}", "-n", "2", "-m", "t15 or t0")
    assert run.decision["decision"] in ("GO", "PENDING"), run.output[-3000:]
    assert run.returncode == 0, run.output[-3000:]
    canary = (gate_reports / "targets" / "tr" / "canary_report.md").read_text(encoding="utf-8")
    assert "8.00" in canary  # the target's own canary amount
    broken = fleet_file(tmp_path, '[targets.eu]\n\n[targets.tr]\nsandbox_faults = ["no_such_fault"]\n')
    run = gate(gate_reports / "broken", f"--cutover-file={broken}", "-m", "t15")
    assert run.decision["decision"] == "NO-GO" and run.returncode == 1
    assert "wrote no decision (exit code 4)" in run.decision["targets"]["tr"]["problem"], run.decision["targets"]


def test_a_fleet_with_a_target_url_option_is_a_usage_error(gate: Callable[..., GateRun], gate_reports: Path,
                                                           tmp_path: Path) -> None:
    cutover = fleet_file(tmp_path, '[targets.eu]\nurl = "http://127.0.0.1:9"\nsandbox_faults = ["approve_noop"]\n')
    run = gate(gate_reports, f"--cutover-file={cutover}")
    assert run.returncode == 4 and "sandbox_faults apply to an embedded sandbox only" in run.output
    run = gate(gate_reports, f"--cutover-file={cutover}", "--target-url=http://127.0.0.1:9")
    assert run.returncode == 4 and "give each its url there" in run.output
