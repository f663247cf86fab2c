"""The runbook's commands work as the runbook writes them, from the repository root: the suite's own checks behind
each, exit 0 clean, 1 findings, 2 could not check, a short summary and never a secret."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .conftest import ROOT, SEEDED


def command(*argv: str, faults: str = "", tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA", "PYTEST_"))}
    env.update(SEEDED, CUTOVER_SANDBOX_FAULTS=faults)
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
    assert "FAIL    t30_restore_drill" in done.stdout and "public.wallets: 3 rows in the source, 0 restored" in \
        done.stdout
    assert "PASS    t30_snapshot_taken" in done.stdout  # pg_dump itself succeeded: only a restore shows it
    no_secret(done.stdout + done.stderr)


def test_db_restore_drill_refuses_prod_before_starting_anything(tmp_path: Path) -> None:
    for args in (["--target-url=http://127.0.0.1:9"], ["--target-url=http://127.0.0.1:9", "--env-name=prod"]):
        done = command("bash", "scripts/db_restore_drill.sh", *args, tmp=tmp_path / "r")
        assert done.returncode == 2, done.stdout[-2000:]
        assert "could not check: refused: never in prod" in done.stdout
        assert not (tmp_path / "r").exists()  # no pytest run, no snapshot, no report
