"""The PostgreSQL launcher (system and pgserver binaries) and the alembic migrations."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cutover_sandbox import migrate, pgcache
from cutover_sandbox.core.db import make_engine
from cutover_sandbox.models import Base
from cutover_sandbox.pg import BINDIR_ENV, PgCluster, PgError, shareable_bindir

_PGSERVER = importlib.util.find_spec("pgserver")
PGSERVER_BINDIR = Path(_PGSERVER.origin or "").parent / "pginstall" / "bin" if _PGSERVER else Path("/nonexistent")


def _exercise(cluster: PgCluster) -> None:
    with psycopg.connect(cluster.dsn) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (cluster.user,)
    wrong = cluster.dsn.replace(cluster.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong).close()
    other = cluster.create_database("second_db")
    with psycopg.connect(other) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("second_db",)


def test_cluster_on_the_default_binaries(cluster: PgCluster) -> None:
    assert cluster.dsn.startswith(f"postgresql://{cluster.user}:") and "@127.0.0.1:" in cluster.dsn
    assert (cluster.bindir / "postgres").exists()
    with psycopg.connect(cluster.dsn) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("off",)


@pytest.mark.skipif(not (PGSERVER_BINDIR / "postgres").exists(), reason="pgserver wheel binaries not installed")
def test_cluster_on_the_pgserver_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BINDIR_ENV, str(PGSERVER_BINDIR))
    cluster = PgCluster()
    # as root a private install is reached through a shared copy (the postgres user must reach the programs)
    assert cluster.bindir in (PGSERVER_BINDIR, shareable_bindir(PGSERVER_BINDIR))
    with cluster:
        tmpdir = cluster.tmpdir
        assert tmpdir is not None
        _exercise(cluster)
    assert not tmpdir.exists()


def test_a_bad_bindir_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BINDIR_ENV, str(tmp_path))
    with pytest.raises(PgError, match="lacks initdb"):
        PgCluster()


def test_stop_is_idempotent_and_removes_everything() -> None:
    cluster = PgCluster().start()
    tmpdir = cluster.tmpdir
    assert tmpdir is not None and (tmpdir / "data" / "postmaster.pid").exists()
    cluster.stop()
    cluster.stop()
    assert not tmpdir.exists()


def test_migrations_match_the_models_and_go_down_and_up(cluster: PgCluster) -> None:
    assert len(migrate.known_revisions()) >= 2
    assert migrate.MIGRATIONS_DIR.is_dir() and (migrate.MIGRATIONS_DIR / "env.py").exists()
    engine = make_engine(cluster.create_database("migrations_roundtrip"))
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        cfg = migrate.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert migrate.current(engine) is None
        migrate.upgrade(engine)
        assert migrate.status(engine).state == "ok"
    finally:
        engine.dispose()


def test_initdb_results_are_cached_and_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(pgcache.CACHE_ENV, str(tmp_path / "cache"))
    with PgCluster() as first:
        _exercise(first)
    templates = list((tmp_path / "cache").glob("pgdata-*"))
    assert len(templates) == 1 and (templates[0] / "PG_VERSION").is_file()
    with PgCluster() as second:  # restored from the template
        _exercise(second)
    assert list((tmp_path / "cache").iterdir()) == templates  # no staging leftovers

    monkeypatch.setenv(pgcache.CACHE_ENV, "off")
    assert pgcache.cache_root() is None
    with PgCluster() as uncached:
        _exercise(uncached)


@pytest.fixture
def parent_dir() -> Iterator[Path]:
    """A parent dir of its own (as root, the postgres user must reach it: pytest's tmp_path is private)."""
    path = Path(tempfile.mkdtemp(prefix="pg-parent-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_cluster_whose_owner_died_is_stopped_and_swept_by_the_next_start(
        monkeypatch: pytest.MonkeyPatch, parent_dir: Path) -> None:
    """A parent killed hard (SIGKILL) cannot stop its cluster; the next launcher under the same dir does."""
    tmp_path = parent_dir
    monkeypatch.setenv("CUTOVER_PG_TMPDIR", str(tmp_path))
    orphan = PgCluster().start()
    alive = PgCluster().start()
    try:
        assert orphan.tmpdir is not None and alive.tmpdir is not None
        orphan_dir = orphan.tmpdir
        postmaster = int((orphan_dir / "data" / "postmaster.pid").read_text().split()[0])
        dead = subprocess.Popen(["true"])
        dead.wait()
        (orphan_dir / "owner").write_text(f"{dead.pid} 0")  # its owner has exited
        orphan.tmpdir = None  # forget it, as a killed owner would
        stranger = tmp_path / "cutover-pg-notours"
        stranger.mkdir()  # no owner file: not a cluster dir of this launcher, never touched
        with PgCluster() as third:
            assert third.tmpdir is not None and (third.tmpdir / "owner").read_text().split()[0] == str(os.getpid())
        assert not orphan_dir.exists()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{postmaster}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{postmaster}").exists() or "zombie" in Path(f"/proc/{postmaster}/status").read_text()
        assert alive.tmpdir.exists() and stranger.exists()  # a live owner's cluster and foreign dirs stay
        with psycopg.connect(alive.dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        alive.stop()
        orphan.stop()
