"""Another replica of a running sandbox (`Sandbox(dsn=..., attach=True)`, `cutover-sandbox serve --dsn DSN`): it
serves the database its first replica migrated, never migrating or seeding it itself, and refuses what would."""

from __future__ import annotations

import itertools

import pytest
import requests

from cutover_sandbox import migrate
from cutover_sandbox.pg import PgCluster
from cutover_sandbox.server import DATABASE_FAULTS, Sandbox, SandboxError

_names = itertools.count()


def test_a_replica_needs_a_database_and_leaves_its_faults_to_the_first_replica() -> None:
    with pytest.raises(SandboxError, match="give its DSN"):
        Sandbox(faults=[], attach=True)
    for fault in DATABASE_FAULTS:
        with pytest.raises(SandboxError, match=f"{fault} change the database at start"):
            Sandbox(faults=[fault], dsn="postgresql://127.0.0.1:9/none", attach=True)


def test_a_replica_refuses_a_database_nobody_migrated(cluster: PgCluster) -> None:
    dsn = cluster.create_database(f"attach_{next(_names)}")
    with pytest.raises(SandboxError, match="not migrated"):
        Sandbox(faults=[], dsn=dsn, attach=True, dialect="default").start()


def test_two_replicas_serve_one_database_and_the_replica_migrates_nothing(cluster: PgCluster) -> None:
    dsn = cluster.create_database(f"attach_{next(_names)}")
    with Sandbox(faults=["migration_behind"], dsn=dsn, dialect="default") as first:
        stamped = migrate.current(first.engine) if first.engine else None
        with Sandbox(faults=[], dsn=dsn, attach=True, dialect="default") as second:
            assert second.url != first.url and second.dsn == first.dsn and second.bindir is None
            assert second.engine is not None and migrate.current(second.engine) == stamped  # not upgraded again
            for box in (first, second):  # both report the one database's state: one revision behind
                ready = requests.get(f"{box.url}/api/readiness", timeout=10)
                assert ready.status_code == 503 and "behind" in ready.text, ready.text
