"""The cutover as it happens: phases run at different times into one record; prod env variants; plan mode; xdist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, GateRun

ENV_VARIANTS = {
    "prod.env": "PASS",
    "prod.waived.env": "WAIVED",
    "prod.expired_waiver.env": "FAIL",
    "prod.cors_wildcard.env": "FAIL",
    "prod.test_stripe_key.env": "FAIL",
    "prod.bootstrap_enabled.env": "FAIL",
    "prod.sqlite_db.env": "FAIL",
    "prod.no_trusted_proxies.env": "FAIL",
    "prod.env_staging.env": "FAIL",
    "prod.signatures_off.env": "FAIL",
    "prod.default_jwt.env": "FAIL",
}


def test_phases_accumulate_per_release(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    """The phases at their times, into one record: T-60 and T-30, then T-15, then T-0 decides; another release's
    results never count; a later pre-flight makes the later phases stale."""
    first = gate(gate_reports, "-m", "t60 or t30")
    assert first.decision["decision"] == "PENDING" and first.returncode == 0, first.output[-2000:]
    t15 = gate(gate_reports, "-m", "t15")
    assert t15.decision["phases"]["t60"] == "PASS", "the T-60 result of the same release counts at T-15"
    assert t15.decision["decision"] == "PENDING" and t15.returncode == 0, t15.output[-2000:]
    other = gate(gate_reports, "-m", "t15", "--release-sha=" + "ab" * 20)
    assert other.decision["phases"]["t60"] == "NOT_RUN", "another release's results never count"
    assert other.decision["decision"] != "GO"
    t0 = gate(gate_reports, "-m", "t0")
    assert t0.decision["phases"]["t15"] == "PASS", "the T-15 result of the same release counts at T-0"
    assert t0.decision["decision"] == "GO", t0.decision["reasons"]
    checklist = (gate_reports / "checklist.md").read_text(encoding="utf-8")
    assert "060f1658c0f32b260ef61eddb625805d5849d8b7" in checklist
    again = gate(gate_reports, "-m", "t60")
    assert again.decision["decision"] == "PENDING"
    assert again.line("t0_deposit")["message"].startswith("stale: ") and "before the t60 run at" in \
        again.line("t0_deposit")["message"]


@pytest.mark.parametrize(("env_file", "expected"), sorted(ENV_VARIANTS.items()))
def test_prod_env_variants(env_file: str, expected: str, gate: Callable[..., GateRun], gate_reports: Path,
                           tmp_path: Path) -> None:
    register = "register.expired.md" if "expired" in env_file else "register.valid.md"
    text = (ROOT / "fixtures" / "cutover.toml").read_text(encoding="utf-8")
    text = text.replace('file = "env/prod.env"', f'file = "{ROOT / "fixtures" / "env" / env_file}"')
    text = text.replace('waiver_register = "waivers/register.valid.md"',
                        f'waiver_register = "{ROOT / "fixtures" / "waivers" / register}"')
    for key in ("rc-proof", "restore/restore-procedure.md"):
        text = text.replace(f'"{key}"', f'"{ROOT / "fixtures" / key}"')
    cutover = tmp_path / "cutover.toml"
    cutover.write_text(text, encoding="utf-8")
    run = gate(gate_reports, "-m", "t60", f"--cutover-file={cutover}", "-k", "prod_env")
    line = run.line("t60_prod_env_verified")
    assert line["result"] == expected, line
    if expected == "FAIL":
        assert run.decision["decision"] == "NO-GO"
    secrets = [ln.partition("=")[2] for ln in (ROOT / "fixtures" / "env" / env_file).read_text().splitlines()
               if ln.split("=")[0].endswith(("_KEY", "_SECRET")) and "=" in ln]
    text_out = json.dumps(run.decision) + (gate_reports / "checklist.md").read_text(encoding="utf-8")
    assert not any(s and s in text_out for s in secrets), "a configuration secret leaked into the reports"


def test_plan_mode_sends_nothing(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "--plan", "-m", "t15", "--target-url", "http://127.0.0.1:9", "--env-name", "staging")
    assert run.returncode == 0, run.output[-2000:]
    plan = (gate_reports / "plan.md").read_text(encoding="utf-8")
    assert "t15_payouts_router" in plan and "t0_deposit" not in plan
    assert "Nothing was sent to the target." in plan
    assert not (gate_reports / "decision.json").exists()


def test_xdist_gives_the_same_decision(gate: Callable[..., GateRun], tmp_path: Path) -> None:
    serial = gate(tmp_path / "serial", "-m", "t15 or t0")
    parallel = gate(tmp_path / "parallel", "-m", "t15 or t0", "-n", "2")
    assert serial.decision["decision"] == parallel.decision["decision"]
    assert serial.decision["phases"] == parallel.decision["phases"]
    assert [(c["id"], c["result"]) for c in serial.decision["checklist"]] == \
        [(c["id"], c["result"]) for c in parallel.decision["checklist"]]
    for name in ("checklist.md", "canary_report.md", "decision.md", "comms.md", "timeline.jsonl", "report.html"):
        assert (tmp_path / "parallel" / name).is_file(), name
