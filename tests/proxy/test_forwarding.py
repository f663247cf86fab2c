"""Pass-through: what goes in comes out, keep-alive and chunked answers included; the proxy fronts loopback only."""

from __future__ import annotations

import socket

import pytest
import requests

from cutover_proxy import FaultProxy
from tests.proxy.conftest import Upstream


def test_forwards_method_path_query_body_and_headers(proxy: FaultProxy, upstream: Upstream,
                                                     client: requests.Session) -> None:
    r = client.post(f"{proxy.url}/api/thing?x=1&y=two", json={"a": 1}, headers={"Idempotency-Key": "k-1"}, timeout=5)
    assert r.status_code == 200
    assert r.json() == {"method": "POST", "path": "/api/thing?x=1&y=two", "body": '{"a": 1}'}
    assert r.headers["X-Upstream"] == "yes"
    method, path, body, headers = upstream.hits[-1]
    assert (method, path, body) == ("POST", "/api/thing?x=1&y=two", b'{"a": 1}')
    assert headers["Idempotency-Key"] == "k-1"
    assert headers["Host"] == upstream.url.removeprefix("http://")


def test_upstream_status_passes_through(proxy: FaultProxy, client: requests.Session) -> None:
    assert client.get(f"{proxy.url}/missing", timeout=5).status_code == 404
    assert proxy.log[-1].outcome == 404


def test_a_chunked_answer_arrives_whole_with_a_length(proxy: FaultProxy, client: requests.Session) -> None:
    r = client.get(f"{proxy.url}/chunked", timeout=5)
    assert r.text == "hello chunked world"
    assert r.headers["Content-Length"] == str(len("hello chunked world"))
    assert "Transfer-Encoding" not in r.headers


def test_a_chunked_request_body_is_forwarded_with_a_length(proxy: FaultProxy, upstream: Upstream,
                                                           client: requests.Session) -> None:
    r = client.post(f"{proxy.url}/upload", data=iter([b"part-1;", b"part-2"]), timeout=5)  # generator: chunked
    assert r.status_code == 200
    assert upstream.hits[-1][2] == b"part-1;part-2"
    assert proxy.log[-1].body_length == len(b"part-1;part-2")


def test_keep_alive_serves_many_requests_on_one_connection(proxy: FaultProxy, client: requests.Session) -> None:
    for i in range(5):
        assert client.get(f"{proxy.url}/n/{i}", timeout=5).json()["path"] == f"/n/{i}"
    assert proxy.accepted == 1


def test_connection_close_is_honoured(proxy: FaultProxy, client: requests.Session) -> None:
    for _ in range(2):
        r = client.get(f"{proxy.url}/x", headers={"Connection": "close"}, timeout=5)
        assert r.headers["Connection"] == "close"
    assert proxy.accepted == 2


def test_head_carries_the_length_but_no_body(proxy: FaultProxy, client: requests.Session) -> None:
    r = client.head(f"{proxy.url}/h", timeout=5)
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["Content-Length"]) > 0
    assert client.get(f"{proxy.url}/after-head", timeout=5).status_code == 200  # the connection is still in step


def test_a_dead_upstream_is_a_502(client: requests.Session) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with FaultProxy(f"http://127.0.0.1:{port}") as proxy:
        r = client.get(f"{proxy.url}/api/health", timeout=5)
    assert r.status_code == 502
    assert r.json()["error_code"] == "UPSTREAM_UNREACHABLE"


def test_garbage_is_a_400() -> None:
    with FaultProxy("http://127.0.0.1:9") as proxy, socket.create_connection(("127.0.0.1", proxy.port), 5) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert s.recv(1024).startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize("url", ["http://example.com", "https://127.0.0.1:8443", "http://10.0.0.1:80"])
def test_only_a_loopback_http_upstream(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(url)


def test_an_upstream_base_path_is_kept(upstream: Upstream, client: requests.Session) -> None:
    with FaultProxy(upstream.url + "/base/") as proxy:
        assert client.get(f"{proxy.url}/api/x?q=1", timeout=5).json()["path"] == "/base/api/x?q=1"
