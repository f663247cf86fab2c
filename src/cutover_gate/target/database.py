"""Read-only SQL against the target's database, through the profile's queries only.

No query may hang the gate: each transaction sets `statement_timeout` and `lock_timeout` (SET LOCAL, so a pooler
in transaction mode keeps no trace of them), and every connection asks for TCP keepalives and a TCP user timeout, so
a database host that vanishes mid-query (no reset, no answer) is an error within seconds, not a wait for the
kernel's retransmission timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from cutover_gate.config.target_profile import Profile
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import REDACTOR, Secret, redact_dsn

T = TypeVar("T")
STATEMENT_TIMEOUT_S: float = 60
"""The longest a profile query may run (the hypercare and invariant queries take about a second at 1M rows)."""
LOCK_TIMEOUT_S: float = 10
LIVENESS: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
                            "tcp_user_timeout": 20_000}
"""libpq connection parameters that turn a silent database host into an error (dead after ~11 s idle, or 20 s of
unacknowledged data)."""


class Database:
    def __init__(self, dsn: Secret | None, profile: Profile, *, connect_timeout: int = 10) -> None:
        self.dsn = dsn
        self.profile = profile
        self.connect_timeout = connect_timeout

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        if self.dsn is None:
            raise CheckFailed(N_("no database DSN: set CUTOVER_DB_DSN (read-only access is enough)"))
        try:
            conn = psycopg.connect(self.dsn.reveal(), connect_timeout=self.connect_timeout, row_factory=dict_row,
                                   autocommit=False, **LIVENESS)
        except psycopg.Error as exc:
            where = redact_dsn(self.dsn.reveal()).split("@")[-1]
            cause = REDACTOR.scrub(str(exc)).strip()
            raise CheckFailed(N_("cannot connect to the database at %(where)s: %(cause)s"), where=where,
                              cause=cause) from None
        conn.read_only = True
        return conn

    def _execute(self, sql: str, params: dict[str, Any] | None, what: str | Reason,
                 result: Callable[[psycopg.Cursor[dict[str, Any]]], T]) -> T:
        """Run one statement in a read-only transaction bounded by the statement and lock timeouts (SET LOCAL),
        return `result(cursor)`, and roll back."""
        with self._connect() as conn:
            try:
                with conn.cursor() as cur:
                    cur.execute(f"SET LOCAL statement_timeout = '{int(STATEMENT_TIMEOUT_S * 1000)}ms'".encode())
                    cur.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'".encode())
                    cur.execute(sql.encode(), params or None)
                    return result(cur)
            except psycopg.Error as exc:
                raise CheckFailed(N_("%(what)s: SQL failed: %(cause)s"), what=Reason.label(what),
                                  cause=REDACTOR.scrub(str(exc)).strip()) from None
            finally:
                conn.rollback()

    def rows(self, sql: str, params: dict[str, Any] | None = None, *, what: str | Reason) -> list[dict[str, Any]]:
        return self._execute(sql, params, what, lambda cur: list(cur.fetchall()))

    def columns(self, sql: str, params: dict[str, Any] | None = None, *, what: str | Reason) -> list[str]:
        """The column names the query answers, from running it read-only wrapped to return no row."""
        wrapped = f"SELECT * FROM ({sql.strip().rstrip(';')}) AS profile_query LIMIT 0"
        return self._execute(wrapped, params, what, lambda cur: [col.name for col in cur.description or ()])

    def query(self, key: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.rows(self.profile.sql(key), params, what=Reason.of(N_("profile SQL '%(key)s'"), key=key))

    def invariants(self, params: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Each invariant query of the profile with the rows that break it (empty list: it holds). `params` are
        bound to the queries that use them (a scoped invariant's window and sample, see checks/invariants.py)."""
        return {name: self.rows(sql, params, what=Reason.of(N_("invariant '%(name)s'"), name=name))
                for name, sql in self.profile.invariants().items()}
