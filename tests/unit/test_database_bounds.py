"""The gate's SQL can never hang it: a slow statement and a lock wait end with a clear FAIL cause (real PostgreSQL)."""

from __future__ import annotations

import psycopg
import pytest

from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.target import database
from cutover_gate.target.database import Database
from cutover_sandbox.pg import PgCluster


@pytest.fixture
def db(cluster: PgCluster, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(database, "STATEMENT_TIMEOUT_S", 1.5)
    monkeypatch.setattr(database, "LOCK_TIMEOUT_S", 0.3)
    return Database(Secret(cluster.dsn, "dsn"), load_profile(None))


def test_a_statement_that_runs_too_long_is_cancelled_with_its_cause(db: Database) -> None:
    with pytest.raises(CheckFailed, match=r"probe: SQL failed: .*statement timeout"):
        db.rows("SELECT pg_sleep(5)", what="probe")


def test_a_query_waiting_on_a_lock_gives_up(db: Database, cluster: PgCluster) -> None:
    with psycopg.connect(cluster.dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS locked_table (id int)")
    holder = psycopg.connect(cluster.dsn)
    try:
        holder.execute("LOCK TABLE locked_table IN ACCESS EXCLUSIVE MODE")  # a migration's lock, held
        with pytest.raises(CheckFailed, match=r"probe: SQL failed: .*lock timeout"):
            db.rows("SELECT count(*) FROM locked_table", what="probe")
    finally:
        holder.rollback()
        holder.close()


def test_a_bounded_query_still_answers(db: Database) -> None:
    assert db.rows("SELECT 1 AS one", what="probe") == [{"one": 1}]
    assert db.columns("SELECT 1 AS one, 2 AS two", what="probe") == ["one", "two"]
