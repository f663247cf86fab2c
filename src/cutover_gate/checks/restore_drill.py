"""T-30 restore drill (runbook A.3 "snapshot taken (restore tested)"): restore the T-30 snapshot into a scratch
database, compare it with its source table by table, run the release's migrations on it (A.4), always drop it.

The runbook forbids the drill against prod, so `refusal()` decides before anything connects: in prod the drill does
not run (NOT_RUN "never in prod"); a restore server DSN that names the target's own database (same host, port and
database) is refused as a FAIL. The scratch database is one the drill creates (`cutover_drill_...`) and drops in a
`finally`, whatever happened in between.

Both sides are read through the profile's SQL only (`[sql] user_tables`, `table_rows`, `alembic_version`): the source
at the dump's own snapshot (`take_dump(at_snapshot=...)`), the scratch copy after the restore. No table name is known
to the gate.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from cutover_gate.checks.backup import Snapshot, _major
from cutover_gate.checks.dry_run import DryRunResult, DryRunSpec, run_dry_run
from cutover_gate.checks.scratch import DrillError, RestoreServer
from cutover_gate.config.target_profile import Profile
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import REDACTOR

NEVER_IN_PROD = N_("never in prod: the runbook forbids the restore drill against prod (T-30); the snapshot is only "
                   "listed there. Run the drill in staging or the sandbox")
NO_SERVER = N_("no restore server: set CUTOVER_RESTORE_DSN to a server and database where the drill may CREATE "
               "DATABASE (never the target's own database)")
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", ""})
MAX_LISTED = 12


@dataclass(frozen=True)
class DrillSql:
    """The profile's queries the drill runs on both sides."""

    user_tables: str
    table_rows: str
    alembic_version: str

    @classmethod
    def of(cls, profile: Profile) -> DrillSql:
        return cls(profile.sql("user_tables"), profile.sql("table_rows"), profile.sql("alembic_version"))


@dataclass(frozen=True)
class TableState:
    """Row counts per `schema.table` (an int, or why it could not be counted) and the alembic version rows."""

    tables: dict[str, int | str] = field(default_factory=dict)
    alembic: tuple[str, ...] = ()
    error: str = ""
    """The state could not be read at all (the table list failed)."""


def read_state(conn: psycopg.Connection[Any], queries: DrillSql) -> TableState:
    """Every table's row count and the alembic version, each query in its own savepoint so that one failure does not
    end the transaction (on the source, the transaction that holds the dump's snapshot). An autocommit connection
    gets a transaction of its own for the read, so the counts are of one instant."""
    if conn.autocommit:
        with conn.transaction():
            return _read_state(conn, queries)
    return _read_state(conn, queries)


def _read_state(conn: psycopg.Connection[Any], queries: DrillSql) -> TableState:
    listed, error = _rows(conn, queries.user_tables)
    if error:
        return TableState(error=f"profile SQL 'user_tables': {error}")
    if "{table}" not in queries.table_rows:
        return TableState(error="profile SQL 'table_rows' has no {table} placeholder")
    tables: dict[str, int | str] = {}
    for row in listed:
        if len(row) < 2:
            return TableState(error="profile SQL 'user_tables' must answer a schema and a table name per row")
        schema, name = str(row[0]), str(row[1])
        query = sql.SQL(queries.table_rows).format(table=sql.Identifier(schema, name))  # the profile's text
        counted, error = _rows(conn, query)
        if error:
            tables[f"{schema}.{name}"] = error
        elif not counted or not str(counted[0][0]).isdigit():
            tables[f"{schema}.{name}"] = "profile SQL 'table_rows' answered no count"
        else:
            tables[f"{schema}.{name}"] = int(counted[0][0])
    versions, error = _rows(conn, queries.alembic_version)
    alembic = (f"<{error}>",) if error else tuple(sorted(str(r[0]) for r in versions))
    return TableState(tables, alembic)


def read_alembic(conn: psycopg.Connection[Any], queries: DrillSql) -> tuple[str, ...]:
    if conn.autocommit:
        with conn.transaction():
            return _alembic(conn, queries)
    return _alembic(conn, queries)


def _alembic(conn: psycopg.Connection[Any], queries: DrillSql) -> tuple[str, ...]:
    versions, error = _rows(conn, queries.alembic_version)
    if error:
        raise DrillError(f"profile SQL 'alembic_version': {error}")
    return tuple(sorted(str(r[0]) for r in versions))


def _rows(conn: psycopg.Connection[Any], query: str | sql.Composed) -> tuple[list[tuple[Any, ...]], str]:
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT cutover_drill_read")
        try:
            cur.execute(query)
            rows = list(cur.fetchall())
        except psycopg.Error as exc:
            cur.execute("ROLLBACK TO SAVEPOINT cutover_drill_read")
            return [], REDACTOR.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        cur.execute("RELEASE SAVEPOINT cutover_drill_read")
    return rows, ""


def compare(source: TableState | None, restored: TableState) -> list[Reason]:
    """Every difference between the snapshot's source and its restored copy, one sentence each."""
    if source is None:
        return [Reason.of(N_("the source was not read when the snapshot was taken: nothing to compare the restore "
                             "with"))]
    out = [Reason.of(N_("source: %(error)s"), error=source.error)] if source.error else []
    if restored.error:
        out.append(Reason.of(N_("restored copy: %(error)s"), error=restored.error))
    if out:
        return out
    if not source.tables:
        out.append(Reason.of(N_("the source lists no table (profile SQL 'user_tables'): a drill of nothing proves "
                                "nothing")))
    for table in sorted(source.tables.keys() | restored.tables.keys()):
        was, got = source.tables.get(table), restored.tables.get(table)
        if was is None:
            out.append(Reason.of(N_("%(table)s: in the restored copy, not in the source"), table=table))
        elif got is None:
            out.append(Reason.of(N_("%(table)s: missing from the restored copy (%(rows)s rows in the source)"),
                                 table=table, rows=was))
        elif isinstance(was, str):
            out.append(Reason.of(N_("%(table)s: rows not counted in the source: %(error)s"), table=table, error=was))
        elif isinstance(got, str):
            out.append(Reason.of(N_("%(table)s: rows not counted in the restored copy: %(error)s"), table=table,
                                 error=got))
        elif was != got:
            out.append(Reason.of(N_("%(table)s: %(source)s rows in the source, %(restored)s restored"), table=table,
                                 source=was, restored=got))
    if source.alembic != restored.alembic:
        out.append(Reason.of(N_("alembic version: %(source)s in the source, %(restored)s restored"),
                             source=_versions(source.alembic), restored=_versions(restored.alembic)))
    return out


def _versions(versions: tuple[str, ...]) -> str | Reason:
    return ", ".join(versions) if versions else Reason.of(N_("none"))


# -- refusal rules ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    reason: Reason
    fails: bool
    """True: an unsafe request, a FAIL of the drill's line; False: nothing to run here, NOT_RUN."""

    @property
    def message(self) -> str:
        return self.reason.text()


class Endpoint(NamedTuple):
    hosts: frozenset[tuple[str, str]]
    """(host, port) pairs; every loopback spelling and a unix socket are one host, "local"."""
    dbname: str


def endpoint(dsn: str) -> Endpoint:
    """Where a DSN connects, with libpq's defaults (PGHOST, PGPORT, PGDATABASE, PGUSER); ValueError if unparseable."""
    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # the parser's message may quote the DSN
        raise ValueError("unparseable DSN") from None
    hosts = str(params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST", "")).split(",")
    ports = str(params.get("port") or os.environ.get("PGPORT", "") or "5432").split(",")
    ports = ports if len(ports) == len(hosts) else [ports[0]] * len(hosts)
    user = str(params.get("user") or os.environ.get("PGUSER", ""))
    dbname = str(params.get("dbname") or os.environ.get("PGDATABASE", "") or user)
    pairs = frozenset(("local" if h.strip().lower() in LOOPBACK or h.startswith("/") else h.strip().lower(),
                       p.strip() or "5432") for h, p in zip(hosts, ports, strict=True))
    return Endpoint(pairs, dbname)


def refusal(env_name: str, restore_dsn: str | None, target_dsn: str | None) -> Refusal | None:
    """Why the drill must not run here, decided before anything connects; None when it may run."""
    if env_name == "prod":
        return Refusal(Reason.of(NEVER_IN_PROD), fails=False)
    if not restore_dsn:
        return Refusal(Reason.of(NO_SERVER), fails=False)
    try:
        restore = endpoint(restore_dsn)
    except ValueError:
        return Refusal(Reason.of(N_("CUTOVER_RESTORE_DSN cannot be parsed (its text is not shown: it may hold a "
                                    "password)")), fails=True)
    try:
        target = endpoint(target_dsn) if target_dsn else None
    except ValueError:
        target = None
    if target is not None and restore.dbname == target.dbname and restore.hosts & target.hosts:
        host, port = sorted(restore.hosts & target.hosts)[0]
        return Refusal(Reason.of(N_("refused before connecting: CUTOVER_RESTORE_DSN names the target's own database "
                                    "(host %(host)s, port %(port)s, database %(database)s); the drill restores only "
                                    "into a scratch database it creates, so give it another database of that server "
                                    "or another server"), host=host, port=port, database=restore.dbname), fails=True)
    return None


# -- the drill --------------------------------------------------------------------------------------------------
@dataclass
class DrillReport:
    snapshot_id: str
    server: str
    """The restore server as `host=... port=... dbname=... user=...` (never the password)."""
    scratch: str = ""
    source: TableState | None = None
    source_at_dump: bool = False
    restored: TableState | None = None
    restore_exit: int | None = None
    restore_errors: list[str] = field(default_factory=list)
    differences: list[Reason] = field(default_factory=list)
    dry_run: DryRunResult | None = None
    dropped: bool = False
    drop_error: str = ""
    swept: list[str] = field(default_factory=list)
    """Scratch databases of earlier drills (killed before they could drop them) that this drill dropped."""
    sweep_problems: list[str] = field(default_factory=list)
    error: str = ""
    """The drill could not run (the restore server unreachable, CREATE DATABASE refused, no pg_restore)."""
    duration_s: float = 0.0

    @property
    def restored_ok(self) -> bool:
        return not self.error and self.restore_exit == 0 and not self.differences

    def problems(self) -> list[Reason]:
        """What makes the drill FAIL, in the order a DB owner reads it."""
        out = [Reason.of(N_("could not run: %(error)s"), error=self.error)] if self.error else []
        if self.restore_exit not in (None, 0):
            out.append(Reason.of(N_("pg_restore exited %(code)s (%(count)s error(s)): %(first)s"),
                                 code=self.restore_exit, count=len(self.restore_errors), first=self.restore_errors[0])
                       if self.restore_errors else
                       Reason.of(N_("pg_restore exited %(code)s (%(count)s error(s))"), code=self.restore_exit,
                                 count=len(self.restore_errors)))
        out += self.differences
        if self.scratch and not self.dropped:
            out.append(Reason.of(N_("scratch database %(scratch)s was not dropped (%(error)s): drop it by hand"),
                                 scratch=self.scratch, error=self.drop_error))
        return out

    def evidence(self) -> dict[str, Any]:
        rows: dict[str, dict[str, int | str | None]] = {}
        source = self.source.tables if self.source else {}
        restored = self.restored.tables if self.restored else {}
        for table in sorted(source.keys() | restored.keys()):
            rows[table] = {"source": source.get(table), "restored": restored.get(table)}
        return {"snapshot_id": self.snapshot_id, "restore_server": self.server, "scratch_database": self.scratch,
                "source_read": "at the dump's snapshot" if self.source_at_dump else "after the dump",
                "tables": len(rows), "rows": rows,
                "alembic_source": list(self.source.alembic) if self.source else None,
                "alembic_restored": list(self.restored.alembic) if self.restored else None,
                "pg_restore_exit": self.restore_exit, "pg_restore_errors": self.restore_errors[:MAX_LISTED],
                "differences": [d.text() for d in self.differences], "scratch_dropped": self.dropped,
                "leftovers_swept": self.swept, "leftover_sweep_problems": self.sweep_problems,
                "duration_s": round(self.duration_s, 3), "error": self.error}


def run_drill(snapshot: Snapshot, server: RestoreServer, queries: DrillSql, *, dry_run: DryRunSpec | None = None,
              child_env: Callable[[str, str], dict[str, str]] | None = None) -> DrillReport:
    """Create a scratch database on `server`, restore `snapshot` into it, compare it with `snapshot.source`, run the
    dry-run on it when given and the copy matches, and drop it (always). Never raises for what the drill finds."""
    started = time.monotonic()
    source = snapshot.source if isinstance(snapshot.source, TableState) else None
    report = DrillReport(snapshot.id, server.where, source=source, source_at_dump=snapshot.source_at_dump)
    name = server.scratch_name()
    attempted = False
    try:
        attempted = True
        server.create(name)
        report.scratch = name
        report.restore_exit, report.restore_errors = server.restore(name, snapshot.path, _major(snapshot.tool_version))
        report.restored = server.read(name, lambda conn: read_state(conn, queries))
        report.differences = compare(source, report.restored)
        if dry_run is not None and report.restored_ok:
            before = report.restored.alembic
            report.dry_run = run_dry_run(dry_run, server.url_for(name), before=before,
                                         read_version=lambda: server.read(name, lambda c: read_alembic(c, queries)),
                                         child_env=child_env)
    except DrillError as exc:
        report.error = str(exc)
    finally:
        if attempted:
            report.drop_error = server.drop(name)
            report.dropped = not report.drop_error
            if not report.scratch and report.drop_error:
                report.drop_error = ""  # nothing was created: nothing to drop
            if not report.error:
                report.swept, report.sweep_problems = server.sweep_stale()
        report.duration_s = time.monotonic() - started
    return report
