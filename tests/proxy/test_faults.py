"""Each rule, proven by behaviour: delays are lower bounds only (never an upper timing bound)."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from cutover_proxy import FaultProxy
from tests.proxy.conftest import Upstream, get_in_background

WITHDRAW = "/api/v1/player/wallet/withdraw"
REVIEW = r"/api/v1/finance/withdrawals/.*/review"


def test_latency_delays_at_least_by_the_amount(proxy: FaultProxy, client: requests.Session) -> None:
    proxy.latency(200, path="/slow")
    start = time.monotonic()
    assert client.get(f"{proxy.url}/slow", timeout=5).status_code == 200
    assert time.monotonic() - start >= 0.2
    client.get(f"{proxy.url}/fast", timeout=5)
    slow, fast = proxy.log
    assert (slow.delay_ms, fast.delay_ms) == (200, 0)
    assert slow.rules == ("latency(200ms) /slow #1..",)


def _delays(upstream: Upstream, client: requests.Session, seed: int) -> list[float]:
    with FaultProxy(upstream.url) as proxy:
        proxy.jitter(30, seed=seed)
        for i in range(6):
            client.get(f"{proxy.url}/j/{i}", timeout=5)
        return [e.delay_ms for e in sorted(proxy.log, key=lambda e: e.seq)]


def test_jitter_is_reproducible_by_seed(upstream: Upstream, client: requests.Session) -> None:
    first, again, other = _delays(upstream, client, 7), _delays(upstream, client, 7), _delays(upstream, client, 8)
    assert first == again
    assert first != other
    assert all(0 <= d <= 30 for d in first + other)
    assert len(set(first)) > 1


def test_hang_makes_the_client_time_out(proxy: FaultProxy, upstream: Upstream, client: requests.Session) -> None:
    proxy.hang(method="POST", path=WITHDRAW)
    with pytest.raises(requests.Timeout):
        client.post(f"{proxy.url}{WITHDRAW}", json={"amount": "5"}, timeout=0.5)
    assert proxy.log[-1].outcome == "hang"
    assert upstream.hits == []  # never forwarded
    assert proxy.open_connections() == 1  # still hung, until the proxy stops


def test_stop_ends_a_hang(upstream: Upstream) -> None:
    proxy = FaultProxy(upstream.url).start()
    proxy.hang()
    caller, outcome = get_in_background(f"{proxy.url}/h")
    while not proxy.log:
        time.sleep(0.01)
    proxy.stop()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)  # closed without an answer, well before its timeout


def test_reset_is_a_connection_error(proxy: FaultProxy, upstream: Upstream, client: requests.Session) -> None:
    proxy.reset(path="/r")
    with pytest.raises(requests.ConnectionError):
        client.get(f"{proxy.url}/r", timeout=5)
    assert proxy.log[-1].outcome == "reset"
    assert upstream.hits == []
    assert client.get(f"{proxy.url}/ok", timeout=5).status_code == 200  # a new connection works


def test_reset_sends_a_tcp_rst(proxy: FaultProxy) -> None:
    proxy.reset()
    with socket.create_connection(("127.0.0.1", proxy.port), 5) as s:
        s.sendall(b"GET /r HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            s.recv(1024)


def test_status_burst_answers_n_times_then_forwards(proxy: FaultProxy, upstream: Upstream,
                                                    client: requests.Session) -> None:
    rule = proxy.status(503, count=2, method="POST", path=REVIEW)
    url = f"{proxy.url}/api/v1/finance/withdrawals/tx-1/review"
    answers = [client.post(url, json={"action": "approve"}, timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json()["error_code"] == "FAULT_INJECTED"
    assert upstream.paths() == ["POST /api/v1/finance/withdrawals/tx-1/review"]  # only the third went through
    assert client.get(url, timeout=5).status_code == 200  # GET does not match a POST rule
    assert (rule.matched, rule.applied) == (3, 2)


def test_status_with_a_body_of_ones_own(proxy: FaultProxy, client: requests.Session) -> None:
    proxy.status(500, body={"detail": "boom"})
    r = client.get(f"{proxy.url}/anything", timeout=5)
    assert (r.status_code, r.json()) == (500, {"detail": "boom"})


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_die_refuses_new_connections(proxy: FaultProxy, client: requests.Session) -> None:
    assert client.get(f"{proxy.url}/alive", timeout=5).status_code == 200
    proxy.die()
    assert proxy.dead
    assert _refused(proxy.port)
    with pytest.raises(requests.ConnectionError):
        client.get(f"{proxy.url}/alive", timeout=5)  # the kept-alive connection went with it


def test_die_after_the_nth_matching_request(proxy: FaultProxy, client: requests.Session) -> None:
    proxy.die_after(2, path=WITHDRAW)
    assert client.post(f"{proxy.url}{WITHDRAW}", timeout=5).status_code == 200
    assert client.get(f"{proxy.url}/api/v1/player/wallet/balance", timeout=5).status_code == 200
    assert not proxy.dead
    last = client.post(f"{proxy.url}{WITHDRAW}", timeout=5)
    assert last.status_code == 200 and last.headers["Connection"] == "close"  # the nth is answered, then it dies
    assert proxy.dead and _refused(proxy.port)
    with pytest.raises(requests.ConnectionError):
        client.get(f"{proxy.url}/api/v1/player/wallet/balance", timeout=5)


def test_rules_apply_to_the_nth_to_mth_match_only(proxy: FaultProxy, client: requests.Session) -> None:
    rule = proxy.status(418, method="GET", path=r"/c/\d+", first=2, last=3)
    codes = [client.get(f"{proxy.url}/c/{i}", timeout=5).status_code for i in range(5)]
    client.get(f"{proxy.url}/c/x", timeout=5)  # the regex is a full match: not counted
    client.post(f"{proxy.url}/c/9", timeout=5)  # another method: not counted
    assert codes == [200, 418, 418, 200, 200]
    assert (rule.matched, rule.applied) == (5, 2)


def test_the_first_terminal_rule_wins_and_delays_add_up(proxy: FaultProxy, client: requests.Session) -> None:
    proxy.latency(20)
    proxy.status(502)
    proxy.status(504)
    proxy.latency(30, path="/both")
    assert client.get(f"{proxy.url}/both", timeout=5).status_code == 502
    assert proxy.log[-1].delay_ms == 50


def test_clear_and_remove_go_back_to_pass_through(proxy: FaultProxy, client: requests.Session) -> None:
    keep, gone = proxy.status(500, path="/a"), proxy.status(500, path="/b")
    proxy.remove(gone)
    assert proxy.rules == [keep]
    assert client.get(f"{proxy.url}/b", timeout=5).status_code == 200
    proxy.clear()
    assert proxy.rules == []
    assert client.get(f"{proxy.url}/a", timeout=5).status_code == 200


def test_counts_are_exact_under_concurrency(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.status(503, count=5)

    def call(i: int) -> int:
        return requests.get(f"{proxy.url}/p/{i}", timeout=5).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(call, range(24)))
    assert codes.count(503) == 5 and codes.count(200) == 19
    assert len(upstream.hits) == 19


def test_rules_change_at_runtime_from_another_thread(proxy: FaultProxy, client: requests.Session) -> None:
    assert client.get(f"{proxy.url}/t", timeout=5).status_code == 200
    adder = threading.Thread(target=proxy.status, args=(503,))
    adder.start()
    adder.join()
    assert client.get(f"{proxy.url}/t", timeout=5).status_code == 503
    threading.Thread(target=proxy.clear).start()
    time.sleep(0.05)
    assert client.get(f"{proxy.url}/t", timeout=5).status_code == 200


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"first": 0}, "1-based"), ({"first": 3, "last": 2}, "1-based")])
def test_bad_rules_are_refused(proxy: FaultProxy, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proxy.reset(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an HTTP status"):
        proxy.status(42)
    with pytest.raises(ValueError, match="negative"):
        proxy.latency(-1)
    with pytest.raises(ValueError, match="count"):
        proxy.status(503, count=0)
