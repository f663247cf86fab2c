"""The T-30 restore drill and migration dry-run through the real gate and sandbox: never in prod, never into the
target's own database, a faithful copy PASSes, the release's migrations run on the copy only, and no scratch database
and no secret is left behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cutover_sandbox import migrate

from .conftest import ROOT, GateRun, Standalone

DRILL = "t30_snapshot_taken or t30_restore_drill or t30_migration_dry_run"
SANDBOX_MIGRATIONS = '[migrations]\ndry_run_command = "python -m cutover_sandbox migrate"\n'


def scratch_databases(dsn: str) -> list[str]:
    with psycopg.connect(make_conninfo(dsn, dbname="postgres")) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'cutover_drill_%'")]


def cutover_file(tmp: Path, migrations: str) -> Path:
    """The sandbox's cutover file with absolute input paths and another [migrations] section."""
    fixtures = ROOT / "fixtures"
    text = (fixtures / "cutover.toml").read_text(encoding="utf-8").split("\n[migrations]")[0]
    for rel in ("env/", "waivers/", "rc-proof", "restore/"):
        text = text.replace(f'"{rel}', f'"{fixtures}/{rel}')
    path = tmp / "cutover.toml"
    path.write_text(text + "\n" + migrations, encoding="utf-8")
    return path


def test_in_prod_the_drill_never_runs_and_t30_can_still_pass(gate: Callable[..., GateRun], gate_reports: Path,
                                                             standalone_sandbox: Standalone) -> None:
    env = {**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn,
           "CUTOVER_RESTORE_DSN": make_conninfo(standalone_sandbox.dsn, dbname="postgres")}
    run = gate(gate_reports, "-m", "t30", "--target-url", standalone_sandbox.url, "--env-name", "prod",
               f"--cutover-file={cutover_file(gate_reports.parent, '')}", env=env)
    for line in ("t30_restore_drill", "t30_migration_dry_run"):
        assert run.line(line)["result"] == "NOT_RUN", run.output[-3000:]
        assert "never in prod" in run.line(line)["message"]
    assert run.decision["phases"]["t30"] == "PASS", run.output[-3000:]
    assert run.line("t30_snapshot_taken")["result"] == "PASS" and run.returncode == 0
    assert scratch_databases(standalone_sandbox.dsn) == []


def test_a_restore_dsn_naming_the_targets_database_is_refused_before_connecting(
        gate: Callable[..., GateRun], gate_reports: Path, standalone_sandbox: Standalone) -> None:
    password = str(conninfo_to_dict(standalone_sandbox.dsn)["password"])
    wrong = make_conninfo(standalone_sandbox.dsn, host="localhost")  # the same database, spelled otherwise
    run = gate(gate_reports, "-m", DRILL, "--target-url", standalone_sandbox.url, "--env-name", "staging",
               env={**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn,
                    "CUTOVER_RESTORE_DSN": wrong})
    drill = run.line("t30_restore_drill")
    assert drill["result"] == "FAIL" and "refused before connecting" in drill["message"], run.output[-3000:]
    assert "target's own database" in drill["message"]
    assert run.decision["decision"] == "NO-GO" and run.returncode == 1
    assert scratch_databases(standalone_sandbox.dsn) == []
    assert password not in run.output
    assert not [p for p in gate_reports.rglob("*") if p.is_file() and p.suffix != ".dump"
                and password in p.read_text(encoding="utf-8", errors="replace")]


def test_staging_drills_on_the_named_server_and_leaves_nothing(gate: Callable[..., GateRun], gate_reports: Path,
                                                              standalone_sandbox: Standalone) -> None:
    password = str(conninfo_to_dict(standalone_sandbox.dsn)["password"])
    run = gate(gate_reports, "-m", DRILL, "--target-url", standalone_sandbox.url, "--env-name", "staging",
               f"--cutover-file={cutover_file(gate_reports.parent, SANDBOX_MIGRATIONS)}",
               env={**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn,
                    "CUTOVER_RESTORE_DSN": make_conninfo(standalone_sandbox.dsn, dbname="postgres")})
    drill, dry_run = run.line("t30_restore_drill"), run.line("t30_migration_dry_run")
    assert drill["result"] == "PASS" and dry_run["result"] == "PASS", run.output[-3000:]
    assert drill["evidence"]["source_read"] == "at the dump's snapshot" and drill["evidence"]["scratch_dropped"]
    assert drill["evidence"]["rows"]["public.admins"] == {"source": 1, "restored": 1}
    assert dry_run["evidence"]["alembic_reached"] == [migrate.head()]
    assert scratch_databases(standalone_sandbox.dsn) == []
    assert password not in run.output
    assert not [p for p in gate_reports.rglob("*") if p.is_file() and p.suffix != ".dump"
                and password in p.read_text(encoding="utf-8", errors="replace")]


def test_a_target_without_a_restore_server_leaves_the_drill_not_run(gate: Callable[..., GateRun],
                                                                    gate_reports: Path,
                                                                    standalone_sandbox: Standalone) -> None:
    run = gate(gate_reports, "-m", DRILL, "--target-url", standalone_sandbox.url, "--env-name", "staging",
               env={**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn})
    drill = run.line("t30_restore_drill")
    assert drill["result"] == "NOT_RUN" and "set CUTOVER_RESTORE_DSN" in drill["message"], run.output[-3000:]
    assert run.returncode == 0


def test_the_dry_run_catches_a_schema_its_alembic_version_does_not_describe(gate: Callable[..., GateRun],
                                                                            gate_reports: Path) -> None:
    """`migration_behind` stamps alembic_version one revision back over a schema already at head: a copy restores
    faithfully, but really running the release's upgrade on it fails, as it would at T-15 in prod."""
    run = gate(gate_reports, "-m", "t30", faults=("migration_behind",))
    assert run.line("t30_restore_drill")["result"] == "PASS", run.output[-3000:]
    assert run.line("t30_restore_drill")["evidence"]["alembic_source"] == [migrate.previous(migrate.head())]
    dry_run = run.line("t30_migration_dry_run")
    assert dry_run["result"] == "FAIL" and "already exists" in dry_run["message"], run.output[-3000:]
    assert dry_run["evidence"]["alembic_before"] == [migrate.previous(migrate.head())]
    assert "migration_failure" in run.trigger_rows()


def test_a_failing_dry_run_is_a_migration_failure(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    path = cutover_file(gate_reports.parent, '[migrations]\ndry_run_command = "python -m cutover_sandbox migrate '
                                             '--revision 9999_missing"\n')
    run = gate(gate_reports, "-m", "t30", f"--cutover-file={path}")
    dry_run = run.line("t30_migration_dry_run")
    assert dry_run["result"] == "FAIL" and "migration command exited 1" in dry_run["message"], run.output[-3000:]
    assert "migration_failure" in run.trigger_rows()
    assert run.line("t30_restore_drill")["result"] == "PASS"
    assert run.decision["decision"] == "NO-GO" and run.decision["phases"]["t30"] == "FAIL"


def test_the_turkish_features_run_the_same_drill(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t30", "--lang=tr", faults=("dump_not_restorable",))
    drill = run.line("t30_restore_drill")
    assert drill["result"] == "FAIL" and "public.wallets: 3 rows in the source, 0 restored" in drill["message"]
    assert run.line("t30_migration_dry_run")["result"] == "NOT_RUN"
    assert drill["title"] == "Scratch veritabanında restore drill: satır sayıları ve alembic sürümü eşleşiyor"
