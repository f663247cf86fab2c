"""stop() leaves nothing behind (threads, sockets, hung connections); the CLI runs until SIGTERM; the package
stands alone (standard library only, nothing of the gate or the sandbox)."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from cutover_proxy import FaultProxy
from tests.proxy.conftest import Upstream, proxy_threads

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "cutover_proxy"


def _own_threads() -> set[threading.Thread]:
    """Every thread but the test upstream's (http.server ends its handler threads on its own time)."""
    return {t for t in threading.enumerate() if "process_request_thread" not in t.name}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts file descriptors through /proc")
def test_stop_closes_every_socket_and_joins_every_thread(upstream: Upstream) -> None:
    requests.get(f"{upstream.url}/warm", timeout=5)  # the upstream's own threads and sockets settle first
    before_fds, before_threads = _open_fds(), _own_threads()
    proxy = FaultProxy(upstream.url).start()
    proxy.hang(path="/hang")
    sessions = [requests.Session() for _ in range(3)]
    for s in sessions:
        s.get(f"{proxy.url}/keep-alive", timeout=5)  # three idle keep-alive connections
    with pytest.raises(requests.Timeout):
        requests.get(f"{proxy.url}/hang", timeout=0.3)  # and a hung one
    assert len(proxy_threads()) == 5  # accept + 4 connections
    start = time.monotonic()
    proxy.stop()
    assert time.monotonic() - start < 5
    for s in sessions:
        s.close()
    assert proxy_threads() == []
    assert proxy.open_connections() == 0
    assert _own_threads() == before_threads
    deadline = time.monotonic() + 2
    while _open_fds() > before_fds and time.monotonic() < deadline:
        time.sleep(0.02)  # the client side of the hung connection is closed by requests' garbage collection
    assert _open_fds() <= before_fds
    proxy.stop()  # idempotent


def test_a_proxy_starts_once(upstream: Upstream) -> None:
    with FaultProxy(upstream.url) as proxy, pytest.raises(RuntimeError, match="once"):
        proxy.start()
    with pytest.raises(RuntimeError, match="not started"):
        _ = FaultProxy(upstream.url).url


def test_cli_prints_its_url_forwards_and_stops_on_sigterm(upstream: Upstream, tmp_path: Path) -> None:
    record = tmp_path / "cli.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "cutover_proxy", "--upstream", upstream.url, "--latency-ms", "50",
                             "--jitter-ms", "10", "--seed", "3", f"--record={record}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        ready = json.loads(proc.stdout.readline().removeprefix("CUTOVER_PROXY_READY "))
        assert url.startswith("http://127.0.0.1:") and ready["url"] == url
        assert ready["rules"] == ["latency(50ms) #1..", "jitter(10ms, seed=3) #1.."]
        start = time.monotonic()
        assert requests.get(f"{url}/via-cli", timeout=5).json()["path"] == "/via-cli"
        assert time.monotonic() - start >= 0.05
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped after 1 requests" in err
    [line] = record.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["path"] == "/via-cli"


def test_cli_refuses_a_remote_upstream() -> None:
    proc = subprocess.run([sys.executable, "-m", "cutover_proxy", "--upstream", "http://example.com"],
                          capture_output=True, text=True, timeout=10, check=False)
    assert proc.returncode == 4 and "loopback" in proc.stderr


def test_the_package_uses_the_standard_library_only() -> None:
    found = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    foreign = {name for name in found if name not in sys.stdlib_module_names and name != "cutover_proxy"}
    assert not foreign, foreign
    assert len(found) > 10  # the walk saw the imports
