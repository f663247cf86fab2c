"""T-30 backup against a throwaway PostgreSQL cluster: dump, readability, checksum, and no password in any error."""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest

from cutover_gate.checks.backup import (
    BackupError,
    Snapshot,
    masked_conninfo,
    restore_procedure_reachable,
    take_dump,
    verify_checksum,
    verify_readable,
)
from cutover_gate.checks.preflight import Status
from cutover_pg import PgToolNotFound, find_bindir, tool_major

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PASSWORD = "Pw9LEAKSEEDx7Qz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rendered(exc: BaseException) -> str:
    return f"{exc}\n{exc!r}\n" + "".join(traceback.format_exception(exc))


@dataclass(frozen=True)
class Cluster:
    port: int
    bindir: Path

    def dsn(self, dbname: str = "cutover", password: str = PASSWORD) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user=gate_admin password={password}"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        bindir = find_bindir("initdb", "pg_ctl")
    except PgToolNotFound as exc:
        pytest.skip(f"no PostgreSQL server binaries to start a throwaway cluster: {exc}")
    run_as: str | None = None
    if os.geteuid() == 0:  # initdb refuses root: run the server programs as the distribution's postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run initdb/pg_ctl as")
        run_as = "postgres"
    # Under /tmp, not pytest's tmp_path: pytest makes its base directory 0700 for the invoking user, which the
    # postgres user could not traverse.
    base = Path(tempfile.mkdtemp(prefix="cutover-gate-pg-"))
    data, pwfile, port = base / "data", base / "pwfile", free_port()
    pwfile.write_text(PASSWORD + "\n")
    if run_as:
        for path in (base, pwfile):
            shutil.chown(path, run_as)
    pwfile.chmod(stat.S_IRUSR)

    def run(*args: str | Path) -> None:
        subprocess.run([str(a) for a in args], check=True, capture_output=True, cwd=base, user=run_as, timeout=120)

    run(bindir / "initdb", "-D", data, "-U", "gate_admin", f"--pwfile={pwfile}", "--auth=scram-sha-256",
        "--no-sync", "-E", "UTF8", "--no-locale")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} -c fsync=off"
    run(bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-t", "60", "-o", options, "start")
    try:
        with psycopg.connect(Cluster(port, bindir).dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE cutover")
            conn.execute("CREATE DATABASE empty")
        with psycopg.connect(Cluster(port, bindir).dsn()) as conn:
            conn.execute("CREATE TABLE ledger (id serial PRIMARY KEY, player text NOT NULL, amount numeric(12,2))")
            conn.execute("INSERT INTO ledger (player, amount) SELECT 'p' || g, g * 10 FROM generate_series(1, 50) g")
        yield Cluster(port, bindir)
    finally:
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True,
                       cwd=base, user=run_as, timeout=120, check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_dump_is_readable_checksummed_and_tamper_evident(cluster: Cluster, tmp_path: Path) -> None:
    snapshot = take_dump(cluster.dsn(), tmp_path / "snapshots", label="t30")
    assert snapshot.path.parent == tmp_path / "snapshots" and snapshot.path.name == f"{snapshot.id}.dump"
    assert snapshot.id == f"t30-{snapshot.created_at:%Y%m%dT%H%M%SZ}" and snapshot.created_at.tzinfo == UTC
    assert snapshot.size_bytes == snapshot.path.stat().st_size > 0 and len(snapshot.sha256) == 64
    assert "pg_dump" in snapshot.tool_version and tool_major(cluster.bindir / "pg_dump") >= 1
    assert snapshot.as_record()["sha256"] == snapshot.sha256
    assert PASSWORD not in repr(snapshot) + str(snapshot.as_record())

    readable = verify_readable(snapshot)
    assert readable.ok and readable.tables == 1 and readable.entries >= 3, readable.message
    assert verify_readable(snapshot.path).ok and verify_checksum(snapshot)

    with snapshot.path.open("r+b") as handle:
        handle.seek(snapshot.size_bytes // 2)
        byte = handle.read(1)
        handle.seek(snapshot.size_bytes // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert not verify_checksum(snapshot)
    snapshot.path.unlink()
    assert not verify_checksum(snapshot) and not verify_readable(snapshot).ok


def test_second_dump_in_the_same_second_gets_its_own_file(cluster: Cluster, tmp_path: Path) -> None:
    first, second = take_dump(cluster.dsn(), tmp_path), take_dump(cluster.dsn(), tmp_path)
    assert first.path != second.path and first.path.is_file() and second.path.is_file()


def test_url_dsn_and_database_without_tables(cluster: Cluster, tmp_path: Path) -> None:
    snapshot = take_dump(f"postgresql://gate_admin:{PASSWORD}@127.0.0.1:{cluster.port}/empty", tmp_path)
    readable = verify_readable(snapshot)
    assert not readable.ok and readable.tables == 0 and "no TABLE entry" in readable.message


def test_wrong_password_is_a_backup_error_without_the_password(cluster: Cluster, tmp_path: Path) -> None:
    wrong = "WrongLEAKSEED42pw"
    with pytest.raises(BackupError) as info:
        take_dump(cluster.dsn(password=wrong), tmp_path)
    text = rendered(info.value)
    assert wrong not in text and "LEAKSEED" not in text
    assert "127.0.0.1" in str(info.value) and "cutover" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def fake_pg_dump(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-bin" / "pg_dump"
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


VERSION_99 = 'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.1"; exit 0; fi\n'
WRITE_F = 'while [ $# -gt 0 ]; do [ "$1" = "-f" ] && echo dump > "$2"; shift; done\n'


def test_password_goes_only_through_pgpassword(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_OUT", str(tmp_path / "seen"))
    record = 'printf "%s\\n" "$@" > "$FAKE_OUT.argv"; printf "%s" "$PGPASSWORD" > "$FAKE_OUT.env"\n'
    script = fake_pg_dump(tmp_path, VERSION_99 + record + WRITE_F)
    snapshot = take_dump(cluster.dsn(), tmp_path / "out", pg_dump=script)
    argv = (tmp_path / "seen.argv").read_text()
    assert PASSWORD not in argv and "-Fc" in argv and "--no-password" in argv and "127.0.0.1" in argv
    assert (tmp_path / "seen.env").read_text() == PASSWORD
    assert snapshot.tool_version == "pg_dump (PostgreSQL) 99.1"


def test_failing_pg_dump_output_is_scrubbed(cluster: Cluster, tmp_path: Path) -> None:
    fail = 'echo "pg_dump: error: boom with $PGPASSWORD and password=$PGPASSWORD" >&2; exit 1\n'
    script = fake_pg_dump(tmp_path, VERSION_99 + WRITE_F + fail)
    with pytest.raises(BackupError) as info:
        take_dump(cluster.dsn(), tmp_path / "out", pg_dump=script)
    assert PASSWORD not in rendered(info.value) and "exit 1" in str(info.value) and "boom" in str(info.value)
    assert list((tmp_path / "out").iterdir()) == []


def test_pg_dump_older_than_the_server_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    script = fake_pg_dump(tmp_path, 'echo "pg_dump (PostgreSQL) 9.6.24"\n')
    with pytest.raises(BackupError, match="older than the server"):
        take_dump(cluster.dsn(), tmp_path / "out", pg_dump=script)


def test_snapshot_directory_that_cannot_be_created(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way\n")
    with pytest.raises(BackupError, match="cannot create the snapshot directory"):
        take_dump(cluster.dsn(), tmp_path / "file" / "snapshots")


def test_unreachable_server_names_host_not_password(tmp_path: Path) -> None:
    dsn = f"postgresql://gate_admin:{PASSWORD}@127.0.0.1:{free_port()}/payments?connect_timeout=3"
    with pytest.raises(BackupError) as info:
        take_dump(dsn, tmp_path)
    assert PASSWORD not in rendered(info.value) and "127.0.0.1" in str(info.value) and "payments" in str(info.value)


def test_unparseable_dsn_never_echoes_it(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as info:
        take_dump(f"host=db password={PASSWORD} nonsense", tmp_path)
    assert PASSWORD not in rendered(info.value)
    assert masked_conninfo(f"host=db password={PASSWORD} nonsense") == "<unparseable DSN>"


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://gate:{PASSWORD}@db.prod.internal:5432/payments?sslmode=require",
        f"host=db.prod.internal port=5432 dbname=payments user=gate password={PASSWORD} sslpassword={PASSWORD}",
        f"postgresql://gate:{PASSWORD.replace('x', '%78')}@db.prod.internal/payments",
    ],
)
def test_redact_dsn_masks_the_password(dsn: str) -> None:
    redacted = masked_conninfo(dsn)
    assert PASSWORD not in redacted and "password=***" in redacted and "db.prod.internal" in redacted
    assert "LEAKSEED" not in redacted


def test_redact_dsn_without_password_and_bad_label(tmp_path: Path) -> None:
    assert sorted(masked_conninfo("host=db dbname=payments").split()) == ["dbname=payments", "host=db"]
    with pytest.raises(ValueError, match="label"):
        take_dump("host=db", tmp_path, label="../escape")


def test_readable_rejects_a_non_archive(tmp_path: Path) -> None:
    fake = tmp_path / "fake.dump"
    fake.write_text("not a pg_dump archive\n")
    result = verify_readable(fake)
    assert not result.ok and "pg_restore --list failed" in result.message
    missing = Snapshot("x", tmp_path / "absent.dump", datetime.now(UTC), 0, "0" * 64, "")
    assert not verify_readable(missing).ok and "missing or empty" in verify_readable(missing).message


def test_restore_procedure_document(tmp_path: Path) -> None:
    ok = restore_procedure_reachable("fixtures/restore/restore-procedure.md", FIXTURES.parent)
    assert ok.status is Status.PASS and ok.rule == "restore_procedure_reachable"
    assert restore_procedure_reachable(str(FIXTURES / "restore/restore-procedure.md"), tmp_path).ok
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "notes.txt").write_text("steps\n")
    for given, cause in [("empty.md", "is empty"), ("absent.md", "missing"), ("notes.txt", "not a markdown"),
                         ("", "no restore procedure"), ("ftp://files.local/r.md", "unsupported scheme")]:
        finding = restore_procedure_reachable(given, tmp_path)
        assert finding.status is Status.FAIL and cause in finding.message, (given, finding)


@pytest.mark.parametrize("url", ["https://wiki.example.org/restore.md", "http://10.0.0.5/restore",
                                 "http://localhost.example.org/restore"])
def test_restore_procedure_non_local_url_is_refused(url: str) -> None:
    finding = restore_procedure_reachable(url, FIXTURES)
    assert finding.status is Status.FAIL and "cannot verify a non-local URL; give a path" in finding.message


class _Handler(BaseHTTPRequestHandler):
    authorizations: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.authorizations.append(self.headers.get("Authorization"))
        if path == "/restore":
            body = (FIXTURES / "restore/restore-procedure.md").read_bytes()
            self.send_response(200)
        elif path == "/away":
            body = b""
            self.send_response(302)
            self.send_header("Location", "https://wiki.example.org/restore")
        else:
            body = b"no"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_restore_procedure_loopback_url() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert restore_procedure_reachable(f"{base}/restore", FIXTURES).status is Status.PASS
        assert restore_procedure_reachable(f"{base}/missing", FIXTURES).status is Status.FAIL
        assert restore_procedure_reachable(f"{base}/away", FIXTURES).status is Status.FAIL
        secret_url = f"http://ops:{PASSWORD}@127.0.0.1:{server.server_address[1]}/restore?token={PASSWORD}"
        finding = restore_procedure_reachable(secret_url, FIXTURES)
        assert finding.status is Status.PASS and PASSWORD not in f"{finding!r}{finding}"
        assert _Handler.authorizations[-1] == "Basic " + base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    finally:
        server.shutdown()
        server.server_close()
