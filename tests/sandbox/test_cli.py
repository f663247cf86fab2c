"""`cutover-sandbox` as a user runs it: a real subprocess, real signals, nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

from cutover_sandbox import dialects, faults, migrate
from cutover_sandbox.pg import PgCluster

CLI = [sys.executable, "-m", "cutover_sandbox"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(faults.ENV_VAR, None)
    env.pop(dialects.ENV_VAR, None)
    return env


def _postmaster(port: int) -> tuple[int, Path]:
    """The pid and data dir of the PostgreSQL server listening on `port` (found through /proc)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-D" in args and b"-p" in args and args[args.index(b"-p") + 1] == str(port).encode():
            return int(proc.name), Path(args[args.index(b"-D") + 1].decode())
    raise AssertionError(f"no postgres on port {port}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_prints_ready_serves_and_stops_cleanly_on_sigterm() -> None:
    proc = subprocess.Popen([*CLI, "serve", "--fault", "health_unhealthy"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"serve exited early: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.strip())
            if line.startswith("CUTOVER_SANDBOX_READY "):
                break
        ready = json.loads(lines[-1].split(" ", 1)[1])
        assert set(ready) == {"url", "dsn", "bindir", "faults", "git_sha", "dialect"}
        assert ready["dialect"] == "default"
        assert f"CUTOVER_SANDBOX_URL={ready['url']}" in lines and f"CUTOVER_DB_DSN={ready['dsn']}" in lines
        assert ready["faults"] == ["health_unhealthy"] and ready["url"].startswith("http://127.0.0.1:")
        assert requests.get(ready["url"] + "/api/health", timeout=5).json()["status"] == "degraded"

        pg_port = urlparse(ready["dsn"]).port
        assert pg_port is not None
        pid, datadir = _postmaster(pg_port)
        assert Path(ready["bindir"], "postgres").exists() and datadir.exists()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "postgres survived the sandbox"
    assert not datadir.exists() and not datadir.parent.exists()
    assert not _port_open(pg_port) and not _port_open(urlparse(ready["url"]).port or 0)


def test_unknown_fault_exits_2_listing_the_known_ones() -> None:
    result = subprocess.run([*CLI, "serve", "--fault", "no_such_fault"], capture_output=True, text=True, env=_env(),
                            timeout=60)
    assert result.returncode == 2
    assert "no_such_fault" in result.stderr and "Traceback" not in result.stderr
    assert all(fault.name in result.stderr for fault in faults.CATALOGUE)
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_fault_from_the_environment_exits_2() -> None:
    env = {**_env(), faults.ENV_VAR: "health_unhealthy,bogus"}
    result = subprocess.run([*CLI, "serve"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "bogus" in result.stderr and "Traceback" not in result.stderr


def test_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*CLI, "serve", "--port", str(port)], capture_output=True, text=True, env=_env(),
                                timeout=60)
    assert result.returncode == 1
    assert "port busy" in result.stderr and "Traceback" not in result.stderr


def test_faults_lists_the_catalogue() -> None:
    table = subprocess.run([*CLI, "faults"], capture_output=True, text=True, check=True, timeout=60).stdout
    header, *rows = table.splitlines()
    assert header.split() == ["NAME", "LINE", "TRIGGER", "EXPECT", "DIALECTS", "DESCRIPTION"]
    assert [row.split()[:5] for row in rows] == [[f.name, f.line, f.trigger or "-", f.expect, ",".join(f.dialects)]
                                                 for f in faults.CATALOGUE]
    listed = json.loads(subprocess.run([*CLI, "faults", "--json"], capture_output=True, text=True, check=True,
                                       timeout=60).stdout)
    assert [entry["name"] for entry in listed] == [fault.name for fault in faults.CATALOGUE]
    assert set(listed[0]) == {"name", "line", "trigger", "description", "expect", "dialects", "layer"}
    assert {entry["name"]: tuple(entry["dialects"]) for entry in listed} == {f.name: f.dialects
                                                                             for f in faults.CATALOGUE}
    assert {entry["name"]: entry["expect"] for entry in listed} == {f.name: f.expect for f in faults.CATALOGUE}


def test_migrate_upgrades_a_database_from_database_url_and_never_prints_the_dsn(cluster: PgCluster) -> None:
    dsn = cluster.create_database("migrate_cli")
    try:
        done = subprocess.run([*CLI, "migrate"], env={**_env(), "DATABASE_URL": dsn}, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"migrated: empty -> {migrate.head()}"
        again = subprocess.run([*CLI, "migrate", "--dsn", dsn], env=_env(), capture_output=True, text=True,
                               timeout=120, check=False)
        assert again.returncode == 0 and again.stdout.strip() == f"migrated: {migrate.head()} -> {migrate.head()}"
        assert cluster.password not in done.stdout + done.stderr + again.stdout + again.stderr
    finally:
        cluster.drop_database("migrate_cli")


def test_migrate_failures_are_one_line_without_the_dsn(cluster: PgCluster) -> None:
    missing = subprocess.run([*CLI, "migrate"], env={k: v for k, v in _env().items() if k != "DATABASE_URL"},
                             capture_output=True, text=True, timeout=60, check=False)
    assert missing.returncode == 2 and "give --dsn or set DATABASE_URL" in missing.stderr
    dsn = cluster.create_database("migrate_cli_bad")
    try:
        bad = subprocess.run([*CLI, "migrate", "--dsn", dsn, "--revision", "nosuchrev"], env=_env(),
                             capture_output=True, text=True, timeout=120, check=False)
        assert bad.returncode == 1
        assert len(bad.stderr.strip().splitlines()) == 1 and "migration failed" in bad.stderr
        assert cluster.password not in bad.stderr
    finally:
        cluster.drop_database("migrate_cli_bad")
