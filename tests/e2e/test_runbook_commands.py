"""The runbook's commands work as the runbook writes them, from the repository root: the suite's own checks behind
each, exit 0 clean, 1 findings, 2 could not check, a short summary and never a secret."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

from .conftest import ROOT, SEEDED, serve_sandbox

RELEASE_SHA = tomllib.loads((ROOT / "fixtures" / "cutover.toml").read_text(encoding="utf-8"))["release"]["sha"]


def command(*argv: str, faults: str = "", tmp: Path, env_extra: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA", "PYTEST_"))}
    env.update(SEEDED, CUTOVER_SANDBOX_FAULTS=faults, **(env_extra or {}))
    return subprocess.run([*argv, f"--reports-dir={tmp}"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def no_secret(out: str) -> None:
    assert not [v for v in SEEDED.values() if "@" not in v and v in out]


def test_verify_prod_env_is_clean_on_the_fixture_prod_env(tmp_path: Path) -> None:
    done = command("python3", "scripts/verify_prod_env.py", tmp=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "verify_prod_env (prod configuration check): clean" in done.stdout
    no_secret(done.stdout + done.stderr)


def test_verify_prod_env_reports_findings(tmp_path: Path) -> None:
    cutover = tmp_path / "cutover.toml"
    text = (ROOT / "fixtures" / "cutover.toml").read_text(encoding="utf-8").replace(
        'file = "env/prod.env"', f'file = "{ROOT / "fixtures" / "env" / "prod.cors_wildcard.env"}"')
    cutover.write_text(text.replace('"waivers/', f'"{ROOT / "fixtures" / "waivers"}/'), encoding="utf-8")
    done = command("python3", "scripts/verify_prod_env.py", f"--cutover-file={cutover}", "--lang=tr",
                   tmp=tmp_path / "r")
    assert done.returncode == 1, done.stdout[-2000:]
    assert "verify_prod_env (prod konfigürasyon kontrolü): bulgu var" in done.stdout and "CORS_ORIGINS" in done.stdout


def test_go_live_smoke_catches_a_missing_payouts_router(tmp_path: Path) -> None:
    done = command("bash", "scripts/go_live_smoke.sh", faults="payouts_router_missing", tmp=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "FAIL    t15_payouts_router" in done.stdout and "PASS    t15_api_health" in done.stdout
    no_secret(done.stdout + done.stderr)


def test_go_live_smoke_against_a_dead_target_could_not_check(tmp_path: Path) -> None:
    done = command("bash", "scripts/go_live_smoke.sh", "--target-url=http://127.0.0.1:9", "--env-name=staging",
                   tmp=tmp_path)
    assert done.returncode == 2, done.stdout[-2000:]
    assert "could not check" in done.stdout and "target unreachable" in done.stdout


def test_a_usage_error_could_not_check(tmp_path: Path) -> None:
    done = command("bash", "scripts/go_live_smoke.sh", "--lang=de", tmp=tmp_path)
    assert done.returncode == 2 and "could not check" in done.stdout


def test_db_restore_drill_is_clean_on_the_sandbox(tmp_path: Path) -> None:
    done = command("bash", "scripts/db_restore_drill.sh", tmp=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "db_restore_drill (restore drill): clean" in done.stdout
    for line in ("PASS    t30_snapshot_taken", "PASS    t30_restore_drill", "PASS    t30_migration_dry_run"):
        assert line in done.stdout
    no_secret(done.stdout + done.stderr)


def test_db_restore_drill_finds_a_dump_that_does_not_restore(tmp_path: Path) -> None:
    done = command("bash", "scripts/db_restore_drill.sh", "--lang=tr", faults="dump_not_restorable", tmp=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "db_restore_drill (yedekten geri yükleme tatbikatı): bulgu var" in done.stdout
    assert "FAIL    t30_restore_drill" in done.stdout  # the cause in the run's language, the table as named
    assert "public.wallets: kaynakta 3 satır, restore edilen 0" in done.stdout
    assert "PASS    t30_snapshot_taken" in done.stdout  # pg_dump itself succeeded: only a restore shows it
    no_secret(done.stdout + done.stderr)


def test_db_restore_drill_refuses_prod_before_starting_anything(tmp_path: Path) -> None:
    for args in (["--target-url=http://127.0.0.1:9"], ["--target-url=http://127.0.0.1:9", "--env-name=prod"]):
        done = command("bash", "scripts/db_restore_drill.sh", *args, tmp=tmp_path / "r")
        assert done.returncode == 2, done.stdout[-2000:]
        assert "could not check: refused: never in prod" in done.stdout
        assert not (tmp_path / "r").exists()  # no pytest run, no snapshot, no report


# -- hypercare: the stuck job detector (every 30 minutes) and the daily reconciliation report (daily) ----------------
def test_detect_stuck_finance_jobs_is_clean_and_its_round_joins_the_record(tmp_path: Path) -> None:
    done = command("python3", "scripts/detect_stuck_finance_jobs.py", tmp=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "detect_stuck_finance_jobs (stuck finance job detector): clean" in done.stdout
    record = json.loads((tmp_path / "cutover_record.json").read_text(encoding="utf-8"))
    assert len(record["releases"][RELEASE_SHA]["lines"]["hc_first_6h_watch"]["evidence"]["rounds"]) == 1
    no_secret(done.stdout + done.stderr)


def test_detect_stuck_finance_jobs_names_the_stuck_payout_and_deposit(tmp_path: Path) -> None:
    done = command("python3", "scripts/detect_stuck_finance_jobs.py", "--lang=tr", faults="finance_jobs_stuck",
                   tmp=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "detect_stuck_finance_jobs (takılı finans işi dedektörü): bulgu var" in done.stdout
    assert "FINDING stuck finance jobs: 1 payout(s) stuck over 30 min" in done.stdout
    assert "1 deposit(s) waiting for their PSP over 60 min" in done.stdout
    no_secret(done.stdout + done.stderr)


def test_daily_reconciliation_report_is_clean_and_written(tmp_path: Path) -> None:
    done = command("python3", "scripts/daily_reconciliation_report.py", tmp=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "daily_reconciliation_report (daily reconciliation report): clean" in done.stdout
    assert f"{tmp_path / 'reconciliation_report.md'}" in done.stdout
    data = json.loads((tmp_path / "reconciliation_report.json").read_text(encoding="utf-8"))
    assert data["result"] == "CLEAN" and data["window"]["since"] < data["window"]["until"]


def test_daily_reconciliation_report_exits_1_on_a_difference(tmp_path: Path) -> None:
    done = command("python3", "scripts/daily_reconciliation_report.py", "--lang=tr",
                   faults="deposit_completed_unbooked", tmp=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "daily_reconciliation_report (günlük mutabakat raporu): bulgu var" in done.stdout
    data = json.loads((tmp_path / "reconciliation_report.json").read_text(encoding="utf-8"))
    assert data["result"] == "DIFFERENCES" and data["differences"]["transactions_total"] == 1
    assert data["differences"]["groups"] == ["1 deposit completed (25.00): available expected 25.00, ledger 0 "
                                             "(difference -25.00)"]
    text = (tmp_path / "reconciliation_report.md").read_text(encoding="utf-8")
    assert text.startswith("# Günlük mutabakat raporu") and "**FARK VAR** (1)" in text
    decision = json.loads((tmp_path / "decision.json").read_text(encoding="utf-8"))
    assert "ledger_invariant_breach" in {t["row"] for t in decision["triggers"]}
    no_secret(done.stdout + done.stderr + text)


def test_hypercare_commands_that_cannot_read_what_they_answer_for_could_not_check(tmp_path: Path) -> None:
    dead = command("python3", "scripts/detect_stuck_finance_jobs.py", "--target-url=http://127.0.0.1:9",
                   "--env-name=staging", tmp=tmp_path / "dead")
    assert dead.returncode == 2 and "could not check" in dead.stdout, dead.stdout[-2000:]
    small = tmp_path / "small-pages.toml"
    small.write_text("[hypercare]\npage_limit = 3\nmax_pages = 1\n", encoding="utf-8")
    with serve_sandbox("payout_failure_spike") as sandbox:  # without a DSN: only the admin API, 3 items a state
        target = ("--target-url=" + sandbox.url, "--env-name=staging", f"--release-sha={RELEASE_SHA}")
        recon = command("python3", "scripts/daily_reconciliation_report.py", *target, tmp=tmp_path / "recon")
        half = command("python3", "scripts/detect_stuck_finance_jobs.py", *target, f"--profile={small}",
                       tmp=tmp_path / "half")
    assert recon.returncode == 2, recon.stdout[-2000:]
    assert "UNCHECKED database: no database DSN: set CUTOVER_DB_DSN" in recon.stdout
    assert half.returncode == 2, half.stdout[-2000:]
    assert "UNCHECKED queue: incomplete: read" in half.stdout and "payout_failed (3 of 8 read)" in half.stdout
    assert "UNCHECKED deposits: the admin API lists no deposits" in half.stdout
    no_secret(recon.stdout + half.stdout)
