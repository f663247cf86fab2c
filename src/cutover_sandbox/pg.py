"""A throwaway PostgreSQL cluster: initdb into a temp dir, serve on 127.0.0.1, stop and delete it afterwards.

The programs come from `cutover_pg.find_bindir` (PATH, `pg_config`, `/usr/lib/postgresql/*/bin`, then the
`pgserver` wheel); set `CUTOVER_PG_BINDIR` to force a directory. TCP clients authenticate with scram-sha-256; the
unix socket (inside the temp dir) trusts local clients and is how the launcher creates roles and databases.
PostgreSQL refuses to run as root, so as root every server program runs as the `postgres` user (created with
`useradd` when missing, as the pgserver wheel does).

A cluster whose owning process died without stopping it (killed hard: SIGKILL, an interrupted CI job) is swept by
the next `start()` under the same parent dir: each cluster dir records its owner's pid and start time, and a dir
whose owner is gone has its server stopped and is deleted. Live owners' clusters (parallel workers) are left alone.

Boot speed: the cluster lives on /dev/shm when it is a tmpfs with at least 1 GiB free (`CUTOVER_PG_TMPDIR` picks
another parent dir), and a pristine initdb result is reused from a cache (`CUTOVER_PG_CACHE_DIR`, see `pgcache`).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from cutover_pg import PgToolNotFound, find_bindir
from cutover_sandbox import pgcache

BINDIR_ENV = "CUTOVER_PG_BINDIR"
TMPDIR_ENV = "CUTOVER_PG_TMPDIR"
SHM_DIR = "/dev/shm"
SHM_MIN_FREE = 1 << 30
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
RUN_AS_USER = "postgres"
INITDB_ARGS = ("-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C", "--auth-local=trust",
               "--auth-host=scram-sha-256")
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "max_wal_size": "256MB",
    "log_min_messages": "warning",
}


class PgError(RuntimeError):
    """PostgreSQL could not be found, started or stopped; the message says why."""


def server_bindir() -> Path:
    forced = os.environ.get(BINDIR_ENV)
    if forced:
        path = Path(forced)
        missing = [name for name in SERVER_PROGRAMS if not (path / name).is_file()]
        if missing:
            raise PgError(f"{BINDIR_ENV}={forced} lacks {', '.join(missing)}")
        return path
    try:
        return find_bindir(*SERVER_PROGRAMS)
    except PgToolNotFound as exc:
        raise PgError(str(exc)) from None


def _world_traversable(path: Path) -> bool:
    for part in (path, *path.parents):
        try:
            if not part.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def shareable_bindir(bindir: Path) -> Path:
    """As root, PostgreSQL runs as an unprivileged user, who must reach the programs. Binaries inside a private
    directory (say, a venv in a 0700 temp dir) are copied once, with their libraries, to a world-readable place."""
    if _world_traversable(bindir / "initdb"):
        return bindir
    # keep the layout two levels up: the pgserver wheel's rpath is $ORIGIN/../../../pgserver.libs
    install = bindir.parent
    top = install.parent.parent
    inside = bindir.relative_to(top)
    target = Path("/tmp") / f"cutover-pg-install-{hashlib.sha256(str(install).encode()).hexdigest()[:12]}"
    if not (target / inside / "initdb").is_file():
        staging = Path(tempfile.mkdtemp(prefix=".cutover-pg-install-", dir="/tmp"))
        try:
            shutil.copytree(install, staging / "install" / install.relative_to(top), symlinks=True)
            for libs in top.glob("*.libs"):
                shutil.copytree(libs, staging / "install" / libs.name, symlinks=True)
            for root, dirs, files in os.walk(staging / "install"):
                for name in dirs + files:
                    path = Path(root) / name
                    if not path.is_symlink():
                        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or
                                                                          path.stat().st_mode & stat.S_IXUSR else 0))
            (staging / "install").chmod(0o755)
            try:
                os.rename(staging / "install", target)
            except OSError:  # another process copied it first
                pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / inside


def base_dir(as_root: bool) -> str | None:
    """Where cluster temp dirs go: `CUTOVER_PG_TMPDIR`, else a roomy tmpfs (/dev/shm: initdb and the server's
    writes at memory speed, several times faster than a busy disk), else the system temp dir (as root: /tmp,
    which the postgres user can traverse)."""
    forced = os.environ.get(TMPDIR_ENV)
    if forced:
        return forced
    try:
        shm = os.statvfs(SHM_DIR)
        if shm.f_bavail * shm.f_frsize >= SHM_MIN_FREE and os.access(SHM_DIR, os.W_OK | os.X_OK):
            return SHM_DIR
    except OSError:
        pass
    return "/tmp" if as_root else None


OWNER_FILE = "owner"


def _process_start(pid: int) -> str | None:
    """The start time of process `pid` (field 22 of /proc/<pid>/stat), or None when no such process runs."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat_line.rsplit(")", 1)[-1].split()[19]


def _owner_record() -> str:
    return f"{os.getpid()} {_process_start(os.getpid()) or ''}".strip()


def _owner_alive(record: str) -> bool:
    parts = record.split()
    if not parts or not parts[0].isdigit():
        return False
    started = _process_start(int(parts[0]))
    return started is not None and (len(parts) < 2 or parts[1] == started)


def _stop_orphan_server(datadir: Path) -> None:
    """SIGQUIT the postmaster serving `datadir`, if one still runs. The pid is trusted only when that process's
    working directory is the data dir (a postmaster's is), so a recycled pid is never signalled."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split()[0])
        if Path(f"/proc/{pid}/cwd").resolve() != datadir.resolve():
            return
    except (OSError, ValueError, IndexError):
        return
    PgCluster._kill_pid(pid)


def sweep_orphans(parent: Path) -> list[Path]:
    """Stop and delete the cluster dirs under `parent` whose owner process is gone; return what was swept.
    Only dirs this launcher made are considered (the `cutover-pg-` prefix with an owner file)."""
    swept: list[Path] = []
    for tmpdir in sorted(parent.glob("cutover-pg-*")):
        try:
            record = (tmpdir / OWNER_FILE).read_text()
        except OSError:
            continue  # not (or not yet) a cluster dir of ours: a sibling between mkdtemp and writing its owner
        if _owner_alive(record):
            continue
        _stop_orphan_server(tmpdir / "data")
        shutil.rmtree(tmpdir, ignore_errors=True)
        swept.append(tmpdir)
    return swept


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> tuple[int, int] | None:
    """The (uid, gid) to run server programs as: None unless we are root."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(RUN_AS_USER)
    except KeyError:
        try:
            subprocess.run(["useradd", "-s", "/bin/sh", RUN_AS_USER], check=True, capture_output=True, text=True)
            entry = pwd.getpwnam(RUN_AS_USER)
        except (OSError, subprocess.CalledProcessError, KeyError) as exc:
            raise PgError(f"running as root and cannot create the {RUN_AS_USER!r} user to run PostgreSQL: {exc}") \
                from None
    return entry.pw_uid, entry.pw_gid


class PgCluster:
    """One PostgreSQL cluster with an app role and database. `start()` / `stop()`, or use it as a context manager."""

    def __init__(self, bindir: Path | None = None, database: str = "sandbox") -> None:
        self._run_as = _run_as()
        self.bindir = bindir or server_bindir()
        if self._run_as is not None:
            self.bindir = shareable_bindir(self.bindir)
        self.database = database
        self.user = "sandbox_" + secrets.token_hex(4)
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.tmpdir: Path | None = None
        self._run_as = _run_as()

    @property
    def datadir(self) -> Path:
        assert self.tmpdir is not None, "cluster not started"
        return self.tmpdir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.tmpdir is not None, "cluster not started"
        return self.tmpdir / "sock"

    @property
    def dsn(self) -> str:
        return self.dsn_for(self.database)

    def dsn_for(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> PgCluster:
        parent = base_dir(as_root=self._run_as is not None)
        sweep_orphans(Path(parent or tempfile.gettempdir()))
        self.tmpdir = Path(tempfile.mkdtemp(prefix="cutover-pg-", dir=parent))
        atexit.register(self.stop)
        try:
            (self.tmpdir / OWNER_FILE).write_text(_owner_record())
            self.socket_dir.mkdir()
            if self._run_as is not None:
                for path in (self.tmpdir, self.socket_dir):
                    os.chown(path, *self._run_as)
            self._init_datadir()
            for attempt in range(3):
                self.port = free_port()
                try:
                    self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.tmpdir / "server.log"),
                                 "-o", f"-p {self.port}")
                    break
                except PgError as exc:
                    log = self.server_log()
                    if attempt == 2 or "could not bind" not in log:
                        tail = " | ".join(log.strip().splitlines()[-3:])
                        raise PgError(f"{exc}; server log: {tail}" if tail else str(exc)) from None
            self._create_role_and_database()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the temp dir. Safe to call more than once."""
        atexit.unregister(self.stop)
        tmpdir, self.tmpdir = self.tmpdir, None
        if tmpdir is None:
            return
        pidfile = tmpdir / "data" / "postmaster.pid"
        if pidfile.exists():
            self.tmpdir = tmpdir
            try:
                self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")
            except PgError:
                self._kill(pidfile)
            self.tmpdir = None
        shutil.rmtree(tmpdir, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """Create a database owned by the app role; return its DSN."""
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(self.user)))
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def server_log(self) -> str:
        log = self.tmpdir / "server.log" if self.tmpdir else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    # -- internals ---------------------------------------------------------------------------------------------

    def _admin_connection(self) -> psycopg.Connection[Any]:
        return psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                               autocommit=True)

    def _create_role_and_database(self) -> None:
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(self.user), sql.Literal(self.password)))
        self.create_database(self.database)

    def _init_datadir(self) -> None:
        """initdb (or a copy of a cached pristine initdb result, see `pgcache`), then the sandbox's settings."""
        template = pgcache.template_path(self.bindir, INITDB_ARGS)
        if not pgcache.restore(template, self.datadir, self._run_as):
            self._run("initdb", "-D", str(self.datadir), *INITDB_ARGS)
            pgcache.save(template, self.datadir)
        conf = {**_FAST_SETTINGS, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.socket_dir}'"}
        with (self.datadir / "postgresql.conf").open("a") as fh:
            fh.write("\n# cutover sandbox\n" + "".join(f"{key} = {value}\n" for key, value in conf.items()))

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), *args)

    def _run(self, program: str, *args: str) -> None:
        kwargs: dict[str, Any] = {}
        if self._run_as is not None:
            kwargs = {"user": self._run_as[0], "group": self._run_as[1], "extra_groups": []}
        try:
            out = subprocess.run([str(self.bindir / program), *args], capture_output=True, text=True, timeout=60,
                                 check=False, cwd=self.tmpdir, **kwargs)
        except (OSError, subprocess.SubprocessError) as exc:
            raise PgError(f"{program} failed to run: {exc}") from None
        if out.returncode != 0:
            detail = (out.stderr or out.stdout).strip().splitlines()[-3:]
            raise PgError(f"{program} {args[-1] if args else ''} failed (exit {out.returncode}): {' | '.join(detail)}")

    @staticmethod
    def _kill(pidfile: Path) -> None:
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        PgCluster._kill_pid(pid)

    @staticmethod
    def _kill_pid(pid: int) -> None:
        """SIGQUIT the postmaster (immediate shutdown) and wait up to 10 s for it to go."""
        try:
            os.kill(pid, signal.SIGQUIT)
        except OSError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)
