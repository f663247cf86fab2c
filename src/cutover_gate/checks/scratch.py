"""The restore server of the T-30 drill: create a scratch database, `pg_restore` a snapshot into it, read it, drop it.

The server is the one `CUTOVER_RESTORE_DSN` names (its database is only where the drill connects to run CREATE and
DROP DATABASE). Every database this module creates, restores into or drops is named `cutover_drill_<UTC>_<hex>`: no
other name passes `_scratch()`, so nothing else can be dropped. As in backup.py, the password reaches `pg_restore`
only through `PGPASSWORD`, and errors name host and database, never the password.

A drill that was killed (the gate stopped hard mid-restore) cannot drop its scratch database. Each drill therefore
sweeps the scratch databases of earlier drills that are older than `STALE_AFTER` (or twice the restore timeout,
whichever is longer): no drill still running can be that old, and the sweep only ever matches the scratch pattern.

`pg_restore` runs with `--no-owner --no-privileges`, so a role with CREATEDB (no superuser) can restore; it does not
stop at the first error, so that every error is seen, and its exit code is the drill's to judge.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from cutover_gate.checks.backup import BackupError, _parse, _scrub, _secrets, _tail, _where
from cutover_gate.core.redact import REDACTOR
from cutover_gate.target.database import LIVENESS
from cutover_pg import PgToolNotFound, find_tool

SCRATCH_PREFIX = "cutover_drill_"
_SCRATCH = re.compile(rf"{SCRATCH_PREFIX}\d{{8}}t\d{{6}}z_[0-9a-f]{{6}}")
MAX_ERRORS = 20
STALE_AFTER = timedelta(hours=6)
T = TypeVar("T")


class DrillError(RuntimeError):
    """The drill could not run a step (server unreachable, CREATE DATABASE refused, no pg_restore); the message
    names host and database, never the password."""


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server and credentials, another database (key=value conninfo)."""
    return make_conninfo(dsn, dbname=dbname)


def url_of(params: dict[str, Any]) -> str:
    """A `postgresql://` URL for the parameters (what SQLAlchemy and alembic take), password percent-encoded."""
    user = quote(str(params.get("user") or ""), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    host, port = str(params.get("host") or ""), str(params.get("port") or "")
    query = {k: str(v) for k, v in params.items() if k not in ("user", "password", "host", "port", "dbname") and v}
    netloc = ""
    if host and not host.startswith("/") and "," not in host:
        netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    else:
        query.update({k: v for k, v in (("host", host), ("port", port)) if v})
    dbname = quote(str(params.get("dbname") or ""), safe="")
    return f"postgresql://{auth}{netloc}/{dbname}" + (f"?{urlencode(query)}" if query else "")


class RestoreServer:
    def __init__(self, dsn: str, *, connect_timeout: int = 10, restore_timeout: float = 3600.0) -> None:
        try:
            self._params = _parse(dsn)
        except BackupError:
            raise DrillError("the restore server DSN cannot be parsed (its text is not shown: it may hold a "
                             "password)") from None
        self._dsn = dsn
        self._secrets = _secrets(self._params)
        for value in self._secrets:
            REDACTOR.register(value)
        self.where = _where(self._params)
        self.connect_timeout = connect_timeout
        self.restore_timeout = restore_timeout

    @staticmethod
    def scratch_name() -> str:
        return f"{SCRATCH_PREFIX}{datetime.now(UTC):%Y%m%dt%H%M%Sz}_{secrets.token_hex(3)}"

    def url_for(self, name: str) -> str:
        """The scratch database's URL, password included: only for the dry-run's environment."""
        return url_of({**self._params, "dbname": _scratch(name)})

    # -- operations ------------------------------------------------------------------------------------------------
    def create(self, name: str) -> None:
        self._admin(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(_scratch(name))),
                    f"CREATE DATABASE {name}")

    def restore(self, name: str, archive: Path, min_major: int) -> tuple[int, list[str]]:
        """`pg_restore` the archive into the scratch database: (exit code, the error lines it printed)."""
        try:
            tool = find_tool("pg_restore", min_major=min_major)
        except PgToolNotFound as exc:
            raise DrillError(str(exc)) from None
        params = {k: v for k, v in self._params.items() if k != "password"}
        env = dict(os.environ)
        if self._params.get("password"):
            env["PGPASSWORD"] = str(self._params["password"])
        cmd = [str(tool), "--no-owner", "--no-privileges", "--no-password", "--dbname",
               make_conninfo("", **{**params, "dbname": _scratch(name)}), str(archive)]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=self.restore_timeout,
                                  check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise DrillError(f"pg_restore could not run into {name} on {self.where}: {type(exc).__name__}") from None
        errors = [_scrub(line.strip(), self._secrets) for line in proc.stderr.splitlines()
                  if "error:" in line or "errors ignored" in line]
        return proc.returncode, errors[:MAX_ERRORS]

    def read(self, name: str, reader: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `reader` in a read-only transaction on the scratch database."""
        try:
            with psycopg.connect(with_dbname(self._dsn, _scratch(name)), connect_timeout=self.connect_timeout,
                                 **LIVENESS) as conn:
                conn.read_only = True
                try:
                    return reader(conn)
                finally:
                    conn.rollback()
        except psycopg.Error as exc:
            raise DrillError(f"cannot read the scratch database {name} on {self.where}: {self._why(exc)}") from None

    def drop(self, name: str) -> str:
        """Drop the scratch database (sessions still on it are ended); "" when done, else why it was not."""
        ident = sql.Identifier(_scratch(name))
        try:
            self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident), f"DROP DATABASE {name}")
        except DrillError as exc:
            if "syntax error" not in str(exc):
                return str(exc)
            try:  # a server older than 13 has no WITH (FORCE)
                self._admin(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident), f"DROP DATABASE {name}")
            except DrillError as again:
                return str(again)
        return ""

    def sweep_stale(self, now: datetime | None = None) -> tuple[list[str], list[str]]:
        """Drop the scratch databases earlier drills left behind: (dropped names, problems). Only names of the
        scratch pattern whose timestamp is older than the stale age are considered."""
        now = now or datetime.now(UTC)
        cutoff = now - max(STALE_AFTER, timedelta(seconds=2 * self.restore_timeout))
        try:
            with psycopg.connect(self._dsn, autocommit=True, connect_timeout=self.connect_timeout, **LIVENESS) as conn:
                pattern = SCRATCH_PREFIX.replace("_", r"\_") + "%"
                names = [str(row[0]) for row in
                         conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,))]
        except psycopg.Error as exc:
            return [], [f"cannot list leftover scratch databases on {self.where}: {self._why(exc)}"]
        dropped: list[str] = []
        problems: list[str] = []
        for name in sorted(names):
            created = scratch_time(name)
            if created is None or created >= cutoff:
                continue
            why = self.drop(name)
            if why:
                problems.append(why)
            else:
                dropped.append(name)
        return dropped, problems

    # -- internals -------------------------------------------------------------------------------------------------
    def _admin(self, statement: sql.Composed, what: str) -> None:
        try:
            conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=self.connect_timeout, **LIVENESS)
        except psycopg.Error as exc:
            raise DrillError(f"cannot reach the restore server at {self.where}: {self._why(exc)}") from None
        with conn:
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                raise DrillError(f"the restore server at {self.where} refused {what}: {self._why(exc)}") from None

    def _why(self, exc: BaseException) -> str:
        return _scrub(_tail(str(exc), 2), self._secrets)


def scratch_time(name: str) -> datetime | None:
    """When a scratch database was made (from its name), or None when the name is not the scratch pattern."""
    if not _SCRATCH.fullmatch(name):
        return None
    return datetime.strptime(name[len(SCRATCH_PREFIX):len(SCRATCH_PREFIX) + 16], "%Y%m%dt%H%M%Sz").replace(tzinfo=UTC)


def _scratch(name: str) -> str:
    if not _SCRATCH.fullmatch(name):
        raise ValueError(f"{name!r} is not a scratch database name of the drill")
    return name
