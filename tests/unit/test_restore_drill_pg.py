"""The restore drill against a real PostgreSQL (a throwaway cluster whose role has CREATEDB and no superuser, as a
restore server's role would): the source read at the dump's snapshot, restore, comparison, dry-run, and the scratch
database dropped whatever happens."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from cutover_gate.checks.backup import Snapshot, take_dump
from cutover_gate.checks.dry_run import DryRunSpec
from cutover_gate.checks.restore_drill import DrillSql, TableState, read_state, run_drill
from cutover_gate.checks.scratch import SCRATCH_PREFIX, RestoreServer
from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.reasons import texts
from cutover_sandbox import migrate
from cutover_sandbox.core.db import make_engine
from cutover_sandbox.pg import PgCluster

QUERIES = DrillSql.of(load_profile(None))


@pytest.fixture
def source(cluster: PgCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database like a platform's: two tables with rows and an alembic_version."""
    name = f"src_{abs(hash(request.node.nodeid)) % 10**8}"
    dsn = cluster.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0002_ledger')")
        conn.execute("CREATE TABLE players (id serial PRIMARY KEY, email text NOT NULL)")
        conn.execute("INSERT INTO players (email) SELECT 'p' || g FROM generate_series(1, 5) g")
        conn.execute('CREATE SCHEMA "Odd Schema"')
        conn.execute('CREATE TABLE "Odd Schema"."ledger ""entries""" (id serial PRIMARY KEY, amount numeric)')
        conn.execute('INSERT INTO "Odd Schema"."ledger ""entries""" (amount) SELECT g FROM generate_series(1, 7) g')
    try:
        yield dsn
    finally:
        cluster.drop_database(name)


def server_of(cluster: PgCluster) -> RestoreServer:
    return RestoreServer(cluster.dsn_for("postgres"))


def scratch_databases(cluster: PgCluster) -> list[str]:
    with psycopg.connect(cluster.dsn_for("postgres")) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",))
        return [r[0] for r in rows]


def dump(dsn: str, tmp: Path, reader: Any = None) -> Snapshot:
    return take_dump(dsn, tmp, at_snapshot=reader or (lambda conn: read_state(conn, QUERIES)))


def test_a_faithful_copy_matches_table_by_table_and_is_dropped(cluster: PgCluster, source: str,
                                                              tmp_path: Path) -> None:
    snapshot = dump(source, tmp_path)
    assert snapshot.source_at_dump and snapshot.source == TableState(
        {"Odd Schema.ledger \"entries\"": 7, "public.alembic_version": 1, "public.players": 5}, ("0002_ledger",))
    report = run_drill(snapshot, server_of(cluster), QUERIES)
    assert report.problems() == [] and report.restored_ok, report.problems()
    assert report.restored == snapshot.source
    assert report.dropped and report.scratch.startswith(SCRATCH_PREFIX)
    assert scratch_databases(cluster) == []
    assert cluster.password not in json.dumps(report.evidence())


def test_the_source_is_read_at_the_dumps_own_snapshot_while_it_takes_writes(cluster: PgCluster, source: str,
                                                                           tmp_path: Path) -> None:
    def read_then_write(conn: psycopg.Connection[Any]) -> TableState:
        seen = read_state(conn, QUERIES)
        with psycopg.connect(source, autocommit=True) as writer:  # another session commits during the dump window
            writer.execute("INSERT INTO players (email) VALUES ('late-1'), ('late-2')")
        return seen

    report = run_drill(dump(source, tmp_path, read_then_write), server_of(cluster), QUERIES)
    assert report.problems() == [], report.problems()  # the archive holds exactly what was counted: 5 players
    assert report.restored is not None and report.restored.tables["public.players"] == 5


def test_a_source_counted_after_the_dump_shows_the_writes_as_a_difference(cluster: PgCluster, source: str,
                                                                         tmp_path: Path) -> None:
    snapshot = dump(source, tmp_path)
    with psycopg.connect(source, autocommit=True) as writer:
        writer.execute("INSERT INTO players (email) VALUES ('after')")
        late = read_state(writer, QUERIES)
    drifted = Snapshot(snapshot.id, snapshot.path, snapshot.created_at, snapshot.size_bytes, snapshot.sha256,
                       snapshot.tool_version, late, source_at_dump=False)
    report = run_drill(drifted, server_of(cluster), QUERIES)
    assert texts(report.differences) == ["public.players: 6 rows in the source, 5 restored"]
    assert report.evidence()["source_read"] == "after the dump"


def test_a_truncated_archive_fails_and_its_scratch_database_is_still_dropped(cluster: PgCluster, source: str,
                                                                            tmp_path: Path) -> None:
    snapshot = dump(source, tmp_path)
    data = snapshot.path.read_bytes()
    snapshot.path.write_bytes(data[: len(data) * 2 // 3])
    report = run_drill(snapshot, server_of(cluster), QUERIES)
    assert report.restore_exit not in (None, 0) and report.restore_errors
    assert not report.restored_ok and report.problems()[0].text().startswith("pg_restore exited")
    assert report.dropped and scratch_databases(cluster) == []


def test_an_unreachable_restore_server_could_not_run_without_the_password(cluster: PgCluster, source: str,
                                                                          tmp_path: Path) -> None:
    snapshot = dump(source, tmp_path)
    dead = RestoreServer(f"postgresql://{cluster.user}:{cluster.password}@127.0.0.1:9/postgres")
    report = run_drill(snapshot, dead, QUERIES)
    assert report.error.startswith("cannot reach the restore server at host=127.0.0.1 port=9")
    assert report.scratch == "" and texts(report.problems()) == [f"could not run: {report.error}"]
    assert cluster.password not in json.dumps(report.evidence()) + " ".join(texts(report.problems()))


def test_a_role_that_may_not_create_databases_could_not_run(cluster: PgCluster, source: str, tmp_path: Path) -> None:
    with cluster._admin_connection() as conn:  # the cluster's superuser, over its unix socket (the test's own)
        conn.execute("CREATE ROLE drill_nocreate LOGIN PASSWORD 'NoCreate-pw-77'")
    snapshot = dump(source, tmp_path)
    weak = RestoreServer(f"postgresql://drill_nocreate:NoCreate-pw-77@127.0.0.1:{cluster.port}/postgres")
    report = run_drill(snapshot, weak, QUERIES)
    assert "refused CREATE DATABASE" in report.error and "permission denied" in report.error
    assert "NoCreate-pw-77" not in report.error


def test_the_dry_run_migrates_the_copy_to_head_and_leaves_the_source_alone(cluster: PgCluster,
                                                                           tmp_path: Path) -> None:
    dsn = cluster.create_database("src_behind")
    try:
        engine = make_engine(dsn)
        migrate.upgrade(engine, migrate.previous(migrate.head()))
        engine.dispose()
        spec = DryRunSpec((sys.executable, "-m", "cutover_sandbox", "migrate"), None, "DATABASE_URL", 120,
                          migrate.head())
        report = run_drill(dump(dsn, tmp_path), server_of(cluster), QUERIES, dry_run=spec)
        assert report.restored_ok, report.problems()
        assert report.dry_run is not None and report.dry_run.ok, report.dry_run
        assert report.dry_run.before == (migrate.previous(migrate.head()),)
        assert report.dry_run.reached == (migrate.head(),)
        with psycopg.connect(dsn) as conn:  # the target never saw the migration
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.previous(
                migrate.head()),)
        assert report.dropped and scratch_databases(cluster) == []
    finally:
        cluster.drop_database("src_behind")


def test_a_failing_dry_run_is_reported_and_the_copy_still_dropped(cluster: PgCluster, source: str,
                                                                  tmp_path: Path) -> None:
    spec = DryRunSpec((sys.executable, "-c", "import sys; sys.exit('alembic: KeyError 0003')"), None, "DATABASE_URL",
                      60, None)
    report = run_drill(dump(source, tmp_path), server_of(cluster), QUERIES, dry_run=spec)
    assert report.restored_ok and report.dry_run is not None and not report.dry_run.ok
    assert report.dry_run.message == "the migration command exited 1: alembic: KeyError 0003"
    assert report.dropped and scratch_databases(cluster) == []


def test_no_dry_run_on_a_copy_that_differs(cluster: PgCluster, source: str, tmp_path: Path) -> None:
    snapshot = dump(source, tmp_path)
    wrong = Snapshot(snapshot.id, snapshot.path, snapshot.created_at, snapshot.size_bytes, snapshot.sha256,
                     snapshot.tool_version, TableState({"public.players": 99}, ("0002_ledger",)), True)
    spec = DryRunSpec((sys.executable, "-c", "pass"), None, "DATABASE_URL", 60, None)
    report = run_drill(wrong, server_of(cluster), QUERIES, dry_run=spec)
    assert report.dry_run is None and not report.restored_ok


def test_reading_a_table_the_role_may_not_read_names_it(cluster: PgCluster, source: str) -> None:
    with cluster._admin_connection() as conn:
        conn.execute("CREATE ROLE drill_reader LOGIN PASSWORD 'Reader-pw-31'")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("GRANT USAGE ON SCHEMA public TO drill_reader")
        conn.execute("GRANT SELECT ON players, alembic_version TO drill_reader")
    reader = make_conninfo(source, user="drill_reader", password="Reader-pw-31")
    with psycopg.connect(reader) as conn:
        seen = read_state(conn, QUERIES)
    assert seen.tables["public.players"] == 5 and seen.alembic == ("0002_ledger",)
    assert "permission denied" in str(seen.tables["Odd Schema.ledger \"entries\""])


def test_a_drill_sweeps_the_stale_scratch_databases_a_killed_drill_left_and_nothing_else(
        cluster: PgCluster, source: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from cutover_gate.checks.scratch import STALE_AFTER

    old = f"{SCRATCH_PREFIX}{datetime.now(UTC) - STALE_AFTER - timedelta(minutes=5):%Y%m%dt%H%M%Sz}_abcdef"
    recent = f"{SCRATCH_PREFIX}{datetime.now(UTC) - timedelta(minutes=10):%Y%m%dt%H%M%Sz}_123456"
    lookalike = f"{SCRATCH_PREFIX}kept_by_hand"
    for name in (old, recent, lookalike):
        cluster.create_database(name)
    try:
        report = run_drill(dump(source, tmp_path), server_of(cluster), QUERIES)
        assert report.problems() == [], report.problems()
        assert report.swept == [old] and report.evidence()["leftovers_swept"] == [old]
        assert sorted(scratch_databases(cluster)) == sorted([recent, lookalike])  # a drill may still run on those
    finally:
        for name in (old, recent, lookalike):
            cluster.drop_database(name)
