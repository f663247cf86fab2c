"""Several upstreams: the proxy as a round-robin load balancer in front of replicas (each forwarded request goes to
the next upstream in turn, whatever its connection), the log naming which one answered."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from cutover_proxy import FaultProxy
from tests.proxy.conftest import Upstream, serve_upstream


@pytest.fixture
def second() -> Iterator[Upstream]:
    """Another loopback upstream (the session's `upstream` is the first replica)."""
    with serve_upstream("test-upstream-2") as upstream:
        yield upstream


def test_requests_alternate_between_the_upstreams_whatever_the_connection(
        upstream: Upstream, second: Upstream, client: requests.Session) -> None:
    with FaultProxy([upstream.url, second.url]) as proxy:
        assert proxy.upstream_urls == (upstream.url, second.url) and proxy.upstream_url == upstream.url
        for i in range(6):  # one keep-alive connection: the turn is per request, not per connection
            assert client.get(f"{proxy.url}/r{i}", timeout=5).status_code == 200
        for i in range(6, 8):  # new connections continue the same turn
            assert client.get(f"{proxy.url}/r{i}", timeout=5, headers={"Connection": "close"}).ok
        log = sorted(proxy.log, key=lambda e: e.seq)
    assert upstream.paths() == ["GET /r0", "GET /r2", "GET /r4", "GET /r6"]
    assert second.paths() == ["GET /r1", "GET /r3", "GET /r5", "GET /r7"]
    assert [e.upstream for e in log] == [upstream.url, second.url] * 4
    assert "FaultProxy([" in repr(proxy)


def test_a_rule_answering_instead_forwards_nothing_and_takes_no_turn(
        upstream: Upstream, second: Upstream, client: requests.Session) -> None:
    with FaultProxy([upstream.url, second.url]) as proxy:
        proxy.status(503, count=1, path="/burst")
        assert client.get(f"{proxy.url}/burst", timeout=5).status_code == 503
        assert client.get(f"{proxy.url}/a", timeout=5).ok and client.get(f"{proxy.url}/b", timeout=5).ok
        burst, a, b = sorted(proxy.log, key=lambda e: e.seq)
    assert burst.upstream is None and (a.upstream, b.upstream) == (upstream.url, second.url)
    assert upstream.paths() == ["GET /a"] and second.paths() == ["GET /b"]


def test_a_replica_that_is_down_answers_502_on_its_turns_only(upstream: Upstream, client: requests.Session) -> None:
    with socket.socket() as sock:  # a port nothing listens on any more
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with FaultProxy([upstream.url, down]) as proxy:
        codes = [client.get(f"{proxy.url}/x{i}", timeout=5).status_code for i in range(4)]
        log = sorted(proxy.log, key=lambda e: e.seq)
    assert codes == [200, 502, 200, 502]
    assert [e.upstream for e in log] == [upstream.url, down] * 2
    assert upstream.paths() == ["GET /x0", "GET /x2"]


@pytest.mark.parametrize("urls", [[], ["http://127.0.0.1:8000", "http://example.com"]])
def test_no_upstream_or_any_remote_one_is_refused(urls: list[str]) -> None:
    with pytest.raises(ValueError):
        FaultProxy(urls)


def test_the_single_upstream_form_is_unchanged(upstream: Upstream, client: requests.Session) -> None:
    with FaultProxy(upstream.url + "/") as proxy:
        assert proxy.upstream_urls == (upstream.url,) and repr(proxy).startswith(f"FaultProxy({upstream.url!r}")
        assert client.get(f"{proxy.url}/one", timeout=5).ok
        (only,) = proxy.log
    assert only.upstream == upstream.url and only.to_json()["upstream"] == upstream.url


def test_cli_takes_the_upstream_option_more_than_once(upstream: Upstream, second: Upstream) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "cutover_proxy", "--upstream", upstream.url,
                             "--upstream", second.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        ready = json.loads(proc.stdout.readline().removeprefix("CUTOVER_PROXY_READY "))
        assert ready["upstreams"] == [upstream.url, second.url] and ready["upstream"] == upstream.url
        for i in range(4):
            assert requests.get(f"{url}/cli{i}", timeout=5).ok
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert upstream.paths() == ["GET /cli0", "GET /cli2"] and second.paths() == ["GET /cli1", "GET /cli3"]


def test_cli_refuses_a_remote_upstream_among_several(upstream: Upstream) -> None:
    proc = subprocess.run([sys.executable, "-m", "cutover_proxy", "--upstream", upstream.url,
                           "--upstream", "http://10.0.0.1:8000"], capture_output=True, text=True, timeout=10,
                          check=False)
    assert proc.returncode == 4 and "loopback" in proc.stderr

