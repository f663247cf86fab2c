"""Bad input gets a clear error naming the step and the cause; the reports are written anyway; no secret leaks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from cutover_gate.core.catalogue import LINES_BY_ID

from .conftest import GateRun, Standalone

ROOT = Path(__file__).resolve().parents[2]
REPORT_FILES = ("decision.json", "decision.md", "checklist.md", "checklist.json", "canary_report.md",
                "timeline.jsonl", "comms.md", "report.html", "junit.xml")


def test_unreachable_target_fails_every_line_and_still_reports(gate: Callable[..., GateRun], gate_reports: Path
                                                                ) -> None:
    run = gate(gate_reports, "-m", "t15 or t0", "--target-url", "http://127.0.0.1:9", "--env-name", "staging",
               env={"CUTOVER_ADMIN_EMAIL": "nobody@example.invalid", "CUTOVER_ADMIN_PASSWORD": "irrelevant-pw-1"})
    assert run.returncode != 0
    decision = run.decision
    assert decision["decision"] == "NO-GO"
    ran = [c for c in decision["checklist"] if c["phase"] in ("t15", "t0") and not LINES_BY_ID[c["id"]].only_with]
    assert ran and all(c["result"] == "FAIL" for c in ran), [(c["id"], c["result"]) for c in ran]
    target_lines = [c for c in ran if c["id"] != "t0_canary_report"]
    assert all("http://127.0.0.1:9" in c["message"] and "connection refused" in c["message"] for c in target_lines)
    for name in REPORT_FILES:
        assert (gate_reports / name).is_file(), name
    assert "Traceback" not in run.output


def test_wrong_admin_credentials_fail_login_without_leaking(gate: Callable[..., GateRun], gate_reports: Path,
                                                           standalone_sandbox: Standalone) -> None:
    wrong = "Wrong-Password-Never-Shown-8812"
    run = gate(gate_reports, "-m", "t15", "--target-url", standalone_sandbox.url, "--env-name", "staging",
               "--cutover-file", str(ROOT / "fixtures" / "cutover.toml"),
               env={**standalone_sandbox.env, "CUTOVER_ADMIN_PASSWORD": wrong,
                    "CUTOVER_DB_DSN": standalone_sandbox.dsn})
    line = run.line("t15_admin_login")
    assert line["result"] == "FAIL"
    assert "admin login refused" in line["message"] and "401" in line["message"]
    assert run.decision["decision"] == "NO-GO"
    assert wrong not in run.output
    for path in gate_reports.rglob("*"):
        if path.is_file():
            assert wrong not in path.read_text(encoding="utf-8", errors="replace"), path


def test_no_secret_in_any_artifact(gate: Callable[..., GateRun], gate_reports: Path,
                                   standalone_sandbox: Standalone) -> None:
    """Seed distinctive secrets, run every phase against a real target, grep every artifact: zero hits."""
    from psycopg.conninfo import conninfo_to_dict

    dsn_password = str(conninfo_to_dict(standalone_sandbox.dsn)["password"])
    run = gate(gate_reports, "--target-url", standalone_sandbox.url, "--env-name", "staging",
               "--cutover-file", str(ROOT / "fixtures" / "cutover.toml"),
               env={**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn})
    assert run.decision["decision"] == "GO", run.output[-3000:]
    secrets = [v for k, v in standalone_sandbox.env.items() if k != "CUTOVER_ADMIN_EMAIL"] + [dsn_password]
    token_like = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.|Bearer [A-Za-z0-9._-]{12,}|v1=[0-9a-f]{64}")
    files = [p for p in gate_reports.rglob("*") if p.is_file() and p.suffix != ".dump"]
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{path}: a secret value leaked"
        assert not token_like.search(text), f"{path}: a token or signature leaked: {token_like.search(text)}"
    for secret in secrets:
        assert secret not in run.output


def test_an_unknown_fault_is_one_usage_error_before_anything_is_sent(gate: Callable[..., GateRun],
                                                                     gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t15", faults=("no_such_fault",))
    assert run.returncode == 4, run.output[-2000:]
    assert "unknown fault(s): no_such_fault" in run.output and "known faults: payouts_router_missing" in run.output
    assert "Traceback" not in run.output and run.output.count("unknown fault(s)") == 1
    assert not (gate_reports / "decision.json").exists()
