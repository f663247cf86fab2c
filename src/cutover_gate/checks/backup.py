"""T-30 backup: take a `pg_dump` snapshot, prove it is readable, record its checksum, find the restore procedure.

This module never restores anything. The runbook forbids running the restore drill against prod; "snapshot
accessibility" is proven with `pg_restore --list` (reads the archive's table of contents, touches no database) and
the rollback restore procedure is checked to be a readable document, not executed.

The password travels only through the `PGPASSWORD` environment variable of the `pg_dump` child: it is stripped from the
connection string on the command line (visible in `ps`), and every error names the host and database through
`masked_conninfo`, which masks it as `***`. Text coming back from the server or the tools is scrubbed of it as well.
`pg_dump` must be at least the server's major version, so the server is asked `SHOW server_version_num` first.

`at_snapshot` (outside prod, for the restore drill) reads the source at the dump's own MVCC snapshot: a read-only
REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`), the reader runs in it, and `pg_dump
--snapshot` dumps exactly that state, so what the archive holds is known even while the database takes writes. A server
that cannot export a snapshot is dumped as before and read right after the dump (`source_at_dump` False).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.checks.preflight.artifacts import sha256_file
from cutover_gate.core.clock import iso
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target.database import LIVENESS
from cutover_pg import PgToolNotFound, find_tool, tool_major

MASK = "***"
_SECRET_PARAMS = ("password", "sslpassword")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TABLE = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\b)", re.MULTILINE)


class BackupError(RuntimeError):
    """The snapshot could not be taken; the message names the cause and host/db, never the password."""


@dataclass(frozen=True)
class Snapshot:
    id: str
    path: Path
    created_at: datetime
    """UTC, second precision; the same instant as the file name's stamp."""
    size_bytes: int
    sha256: str
    tool_version: str
    """`pg_dump --version` output, e.g. `pg_dump (PostgreSQL) 15.8`."""
    source: Any = None
    """What `take_dump(at_snapshot=...)` read from the source (None without a reader)."""
    source_at_dump: bool = False
    """True when `source` was read at the dump's own snapshot, False when read after the dump."""

    def as_record(self) -> dict[str, str | int]:
        """The runbook's record: snapshot ID/path + timestamp + checksum (JSON-ready)."""
        return {"id": self.id, "path": str(self.path), "created_at": iso(self.created_at),
                "size_bytes": self.size_bytes, "sha256": self.sha256, "tool_version": self.tool_version}


@dataclass(frozen=True)
class ReadableResult:
    ok: bool
    entries: int
    """TOC entries `pg_restore --list` printed."""
    reason: Reason
    tables: int = 0

    @property
    def message(self) -> str:
        return self.reason.text()


def masked_conninfo(dsn: str) -> str:
    """The DSN as `key=value` conninfo with the password (and sslpassword) shown as `***`."""
    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # the parser's own message may quote the DSN
        return "<unparseable DSN>"
    masked = {k: (MASK if k in _SECRET_PARAMS and v else v) for k, v in params.items()}
    return make_conninfo("", **masked)


def take_dump(dsn: str, out_dir: Path, *, pg_dump: Path | None = None, label: str = "cutover",
              timeout: float = 3600.0, at_snapshot: Callable[[psycopg.Connection[Any]], Any] | None = None
              ) -> Snapshot:
    """Dump the database in custom format to `out_dir/<label>-<UTC yyyymmddTHHMMSSZ>.dump`; with `at_snapshot`,
    also what it reads of the source at the dump's snapshot (see the module's doc)."""
    if not _LABEL.fullmatch(label):
        raise ValueError("label must be 1-64 characters of letters, digits, '.', '_' or '-'")
    params = _parse(dsn)
    where, secrets = _where(params), _secrets(params)
    server_major = _server_major(dsn, params, where, secrets)
    tool = _tool("pg_dump", pg_dump, server_major, where)
    version = _version(tool)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the snapshot directory {out_dir} ({type(exc).__name__})") from None
    created = datetime.now(UTC).replace(microsecond=0)
    snapshot_id = f"{label}-{created:%Y%m%dT%H%M%SZ}"
    path, n = out_dir / f"{snapshot_id}.dump", 1
    while path.exists():
        n += 1
        path = out_dir / f"{snapshot_id}-{n}.dump"
    snapshot_id = path.stem
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    cli = make_conninfo("", **{k: v for k, v in params.items() if k != "password"})
    cmd = [str(tool), "-Fc", "--no-password", "-f", str(path), "--dbname", cli]
    source, at_dump = None, False
    with _exported(dsn, where, secrets) if at_snapshot else _nothing() as exported:
        if exported is not None and at_snapshot is not None:
            conn, snapshot_name = exported
            source, at_dump = at_snapshot(conn), True
            cmd.insert(1, f"--snapshot={snapshot_name}")
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            path.unlink(missing_ok=True)
            raise BackupError(f"pg_dump could not run against {where}: {type(exc).__name__}") from None
    if proc.returncode != 0 or not path.is_file():
        path.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed against {where} (exit {proc.returncode}): "
                          f"{_scrub(_tail(proc.stderr), secrets)}")
    if at_snapshot is not None and not at_dump:
        source = _read_after(dsn, at_snapshot)
    return Snapshot(snapshot_id, path, created, path.stat().st_size, sha256_file(path), version, source, at_dump)


@contextmanager
def _exported(dsn: str, where: str, secrets: list[str]) -> Iterator[tuple[psycopg.Connection[Any], str] | None]:
    """A read-only REPEATABLE READ transaction and the name of its exported snapshot, held open until the dump is
    done; None when the server cannot export one (the dump then runs on its own snapshot)."""
    try:
        conn = psycopg.connect(dsn, connect_timeout=10, **LIVENESS)
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach PostgreSQL at {where}: {_scrub(_tail(str(exc)), secrets)}") from None
    with conn:
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        except psycopg.Error:
            conn.rollback()
            yield None
            return
        try:
            yield (conn, str(row[0])) if row else None
        finally:
            conn.rollback()


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _read_after(dsn: str, reader: Callable[[psycopg.Connection[Any]], Any]) -> Any:
    try:
        with psycopg.connect(dsn, connect_timeout=10, **LIVENESS) as conn:
            conn.read_only = True
            try:
                return reader(conn)
            finally:
                conn.rollback()
    except psycopg.Error:
        return None  # the drill says the source was not read; the snapshot itself is fine


def verify_readable(snapshot_or_path: Snapshot | Path | str, *, pg_restore: Path | None = None,
                    timeout: float = 600.0) -> ReadableResult:
    """`pg_restore --list` reads the archive: ok only on exit 0 with at least one TABLE entry. Restores nothing."""
    if isinstance(snapshot_or_path, Snapshot):
        snapshot: Snapshot | None = snapshot_or_path
        path = snapshot_or_path.path
    else:
        snapshot, path = None, Path(snapshot_or_path)
    if not path.is_file() or path.stat().st_size == 0:
        return ReadableResult(False, 0, Reason.of(N_("snapshot %(path)s is missing or empty"), path=path))
    min_major = _major(snapshot.tool_version) if snapshot else 0
    try:
        tool = pg_restore or find_tool("pg_restore", min_major=min_major)
        proc = subprocess.run([str(tool), "--list", str(path)], capture_output=True, text=True, timeout=timeout,
                              check=False)
    except PgToolNotFound as exc:
        return ReadableResult(False, 0, Reason.verbatim(str(exc)))  # cutover_pg's own words
    except (OSError, subprocess.SubprocessError) as exc:
        return ReadableResult(False, 0, Reason.of(N_("pg_restore --list could not run on %(path)s: %(error)s"),
                                                  path=path, error=type(exc).__name__))
    entries = sum(1 for line in proc.stdout.splitlines() if line.strip() and not line.startswith(";"))
    tables = len(_TABLE.findall(proc.stdout))
    if proc.returncode != 0:
        return ReadableResult(False, entries, Reason.of(
            N_("pg_restore --list failed on %(path)s (exit %(code)s): %(error)s"), path=path, code=proc.returncode,
            error=_tail(proc.stderr)), tables)
    if tables == 0:
        return ReadableResult(False, entries, Reason.of(
            N_("%(path)s is readable but holds no TABLE entry (%(entries)s entries)"), path=path, entries=entries))
    return ReadableResult(True, entries, Reason.of(N_("%(path)s is readable: %(entries)s TOC entries, %(tables)s "
                                                      "tables"), path=path, entries=entries, tables=tables), tables)


def verify_checksum(snapshot: Snapshot) -> bool:
    """The file still has the SHA-256 recorded when it was taken."""
    try:
        return sha256_file(snapshot.path) == snapshot.sha256
    except OSError:
        return False


def restore_procedure_reachable(path_or_url: str, base_dir: Path) -> Finding:
    """PASS for a non-empty markdown document (relative paths from `base_dir`) or a loopback http(s) URL answering
    2xx with a body. Other URLs are refused: the gate sends traffic nowhere but loopback."""
    text = path_or_url.strip()
    if not text:
        return _restore(text, False, Reason.of(N_("no restore procedure given; give a path to the document")))
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        # the subject drops credentials, query and fragment: they may carry tokens
        subject = parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()
        if (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1") and not _is_127(parts.hostname or ""):
            return _restore(subject, False, Reason.of(N_("%(url)s: cannot verify a non-local URL; give a path"),
                                                      url=subject))
        return _restore(subject, *_fetch(text, subject))
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif len(parts.scheme) > 1:
        return _restore(text, False, Reason.of(N_("unsupported scheme for the restore procedure (%(scheme)s); give a "
                                                  "path"), scheme=parts.scheme))
    else:
        path = Path(text)
    path = path if path.is_absolute() else base_dir / path
    if path.suffix.lower() not in (".md", ".markdown"):
        return _restore(text, False, Reason.of(N_("restore procedure %(path)s is not a markdown document"), path=path))
    try:
        body = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _restore(text, False, Reason.of(N_("restore procedure %(path)s is missing or unreadable"), path=path))
    if not body.strip():
        return _restore(text, False, Reason.of(N_("restore procedure %(path)s is empty"), path=path))
    return _restore(text, True, Reason.of(N_("restore procedure %(path)s is readable"), path=path))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could leave loopback: refuse it


def _fetch(url: str, subject: str) -> tuple[bool, Reason]:
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    request = urllib.request.Request(parts._replace(netloc=hostport).geturl())
    if userinfo:
        user, _, password = userinfo.partition(":")
        token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=5) as response:
            body = response.read(1 << 20)
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # redirects land here too: they are refused
        return False, Reason.of(N_("restore procedure %(url)s answered HTTP %(status)s"), url=subject, status=exc.code)
    except (OSError, ValueError) as exc:
        return False, Reason.of(N_("restore procedure %(url)s is not reachable (%(error)s)"), url=subject,
                                error=type(exc).__name__)
    if not 200 <= status < 300 or not body.strip():
        return False, (Reason.of(N_("restore procedure %(url)s answered %(status)s with a body"), url=subject,
                                 status=status) if body.strip() else
                       Reason.of(N_("restore procedure %(url)s answered %(status)s with an empty body"), url=subject,
                                 status=status))
    return True, Reason.of(N_("restore procedure %(url)s is reachable"), url=subject)


def _restore(subject: str, ok: bool, message: Reason) -> Finding:
    return Finding.of("restore_procedure_reachable", subject, Status.PASS if ok else Status.FAIL, message)


def _is_127(host: str) -> bool:
    return bool(re.fullmatch(r"127(?:\.\d{1,3}){3}", host))


def _parse(dsn: str) -> dict[str, Any]:
    try:
        return dict(conninfo_to_dict(dsn))
    except Exception:  # the parser's own message may quote the DSN, password included
        raise BackupError("the database DSN cannot be parsed (its text is not shown: it may hold a password)") from None


def _where(params: dict[str, Any]) -> str:
    shown = {k: params.get(k) or "<default>" for k in ("host", "port", "dbname", "user")}
    return " ".join(f"{k}={v}" for k, v in shown.items())


def _secrets(params: dict[str, Any]) -> list[str]:
    values = [str(params[k]) for k in _SECRET_PARAMS if params.get(k)]
    return values + [quote(v, safe="") for v in values]


def _scrub(text: str, secrets: list[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return re.sub(r"(?i)(password\s*=\s*)\S+", r"\1" + MASK, text)


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip()) or "no output"


def _server_major(dsn: str, params: dict[str, Any], where: str, secrets: list[str]) -> int:
    extra: dict[str, Any] = {**LIVENESS, **({} if "connect_timeout" in params else {"connect_timeout": 10})}
    try:
        with psycopg.connect(dsn, autocommit=True, **extra) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach PostgreSQL at {where}: {_scrub(_tail(str(exc)), secrets)}") from None
    if row is None or not str(row[0]).isdigit():
        raise BackupError(f"PostgreSQL at {where} did not report server_version_num")
    return int(row[0]) // 10000


def _tool(name: str, given: Path | None, min_major: int, where: str) -> Path:
    if given is None:
        try:
            return find_tool(name, min_major=min_major)
        except PgToolNotFound as exc:
            raise BackupError(f"{exc} (the server at {where} is PostgreSQL {min_major})") from None
    if not given.is_file():
        raise BackupError(f"{name} not found at {given}")
    major = tool_major(given)
    if major < min_major:
        raise BackupError(f"{name} at {given} is version {major or 'unknown'}, older than the server at {where} "
                          f"(PostgreSQL {min_major}); it must be at least the server's major version")
    return given


def _version(tool: Path) -> str:
    try:
        out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _major(version: str) -> int:
    match = re.search(r"\)\s*(\d+)", version) or re.search(r"(\d+)", version)
    return int(match.group(1)) if match else 0
