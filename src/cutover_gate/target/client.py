"""The target client: HTTP to the platform under test, with redaction, clear errors and polling.

Steps stay thin: they call this client. Nothing here knows about the sandbox; everything goes through the profile.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from cutover_gate.config.target_profile import Profile
from cutover_gate.core.clock import utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import REDACTOR, Secret
from cutover_gate.target.breaker import PROBE_TIMEOUT_S, WRITE_METHODS, Breaker
from cutover_gate.target.calls import fill, query_string
from cutover_gate.target.polling import poll
from cutover_gate.target.response import (
    MAX_BODY,
    Exchange,
    RateLimited,
    RefusedByRule,
    Response,
    TargetUnreachable,
    _body_for_evidence,
    _redacted_headers,
    to_decimal,
)

__all__ = ["Exchange", "RateLimited", "RefusedByRule", "Response", "TargetClient", "TargetUnreachable", "beside",
           "poll", "to_decimal"]

T = TypeVar("T")
POOL_SIZE = 24
"""Connections kept per host: discovery's 8 lanes, a scenario's 8 reads at once and its own calls, none reopened."""
AHEAD_WIDTH = 8
"""Reads started ahead at once: the same bound of 8 as a scenario's reads (READ_CONCURRENCY) and discovery's lanes."""


def beside(key: str) -> str:
    """The key of a read started beside a state read, for `TargetClient.showing` alone (never `fresh`'s)."""
    return f"{key}:beside"


class TargetClient:
    def __init__(self, base_url: str, profile: Profile, *, timeout: float = 10.0,
                 on_exchange: Callable[[Exchange], None] | None = None, breaker: Breaker | None = None,
                 rate_limit_wait_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        """The deadline of one request (connect and read)."""
        self.on_exchange = on_exchange
        self.breaker = breaker or Breaker()
        self.rate_limit_wait_s = rate_limit_wait_s
        """How long one call may wait out the target's 429 answers (their Retry-After)."""
        self.session = requests.Session()
        self.session.trust_env = False  # never route through a proxy from the environment
        for scheme in ("http://", "https://"):  # discovery's lanes, a scenario's reads and its own calls side by side
            self.session.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE))
        self.last_answer: tuple[float, str, str] | None = None
        """(monotonic time, method, URL) of the last request the target answered at all."""
        self.writes = 0
        """How many requests that may change data the gate has sent (a read taken before the last one is stale)."""
        self._reads: dict[str, tuple[int, Any, float | None]] = {}
        """key -> (writes when read, the value or a Future of (value, answered at), when answered)."""
        self._ahead: ThreadPoolExecutor | None = None
        self._ahead_lock = threading.Lock()

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.shutdown(wait=True)
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def request(self, method: str, path: str, *, token: Secret | None = None, json: Any = None,
                data: bytes | None = None, headers: dict[str, str] | None = None, retries: int | None = None,
                may_move_money: bool | None = None, record: bool = True, changes_data: bool | None = None
                ) -> Response:
        """`record=False` keeps the exchange out of the scenario's evidence (a bounded survey of hundreds of
        bodiless probes reports its own summary, and may run beside another scenario).

        `may_move_money=False` says the request cannot move money whatever the target does with it (OPTIONS, an
        empty body, an unsigned or wrongly signed event): a transport failure on it puts no write in doubt. By
        default every write may (fail closed).

        `changes_data=False` says a write changes nothing the gate reads back (a login), so reads taken before it
        stay fresh (`fresh`); by default every write method does."""
        url = self.url(path)
        if self.breaker.down_since is not None:
            raise TargetUnreachable(N_("%(method)s %(url)s: not sent, %(cause)s"), method=method, url=url,
                                    cause=self.breaker.describe())
        if method in WRITE_METHODS and changes_data is not False:
            self.writes += 1
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token.reveal()}"
        if json is not None and data is None:
            data = jsonlib.dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        waited = 0.0
        while True:
            resp = self._send(method, url, hdrs, data, retries, may_move_money, record)
            pause = _retry_after(resp)
            if resp.status != 429:
                return resp
            if pause is None or waited + pause > self.rate_limit_wait_s:
                given = resp.headers.get("Retry-After")
                if not given:
                    raise RateLimited(N_("%(method)s %(url)s: rate limited by the target (HTTP 429, Retry-After not "
                                         "given) for longer than the %(wait)s s a call may wait; run again later"),
                                      method=method, url=url, wait=f"{self.rate_limit_wait_s:g}")
                raise RateLimited(N_("%(method)s %(url)s: rate limited by the target (HTTP 429, Retry-After %(after)s) "
                                     "for longer than the %(wait)s s a call may wait; run again later"),
                                  method=method, url=url, after=given, wait=f"{self.rate_limit_wait_s:g}")
            time.sleep(pause)  # a 429 was not processed: sending it again cannot move money twice
            waited += pause

    def _send(self, method: str, url: str, hdrs: dict[str, str], data: bytes | None, retries: int | None,
              may_move_money: bool | None = None, record: bool = True) -> Response:
        # reads may be retried on connection errors; writes never are (money must not move twice)
        attempts = retries if retries is not None else (3 if method in ("GET", "OPTIONS", "HEAD") else 1)
        start = time.perf_counter()
        try:
            for attempt in Retrying(stop=stop_after_attempt(attempts), reraise=True,
                                    wait=wait_exponential(multiplier=0.2, max=2),
                                    retry=retry_if_exception_type(requests.ConnectionError)):
                with attempt:
                    raw = self.session.request(method, url, data=data, headers=hdrs, timeout=self.timeout,
                                               allow_redirects=False, stream=True)
                    _read_body(raw, time.monotonic() + self.timeout)
        except requests.RequestException as exc:
            cause = _cause(exc)
            ex = Exchange(method, url, None, (time.perf_counter() - start) * 1000, _redacted_headers(hdrs),
                          _body_for_evidence(data), None, cause)
            if record:
                self._record(ex)
            in_doubt = method in WRITE_METHODS if may_move_money is None else may_move_money
            self.breaker.transport_failure(method, url, cause, self._alive, in_doubt=in_doubt)
            raise TargetUnreachable(N_("%(method)s %(url)s: target unreachable (%(cause)s)"), method=method, url=url,
                                    cause=cause) from None
        ex = Exchange(method, url, raw.status_code, (time.perf_counter() - start) * 1000, _redacted_headers(hdrs),
                      _body_for_evidence(data), _body_for_evidence(raw.content[:MAX_BODY]))
        self.last_answer = (time.monotonic(), method, url)
        if record:
            self._record(ex)
        return Response(raw, ex)

    def call(self, name: str, *, admin: Secret | None = None, player: Secret | None = None, key: str | None = None,
             with_key: bool = True, data: bytes | None = None, headers: Mapping[str, str] | None = None,
             may_move_money: bool | None = None, record: bool = True, changes_data: bool | None = None,
             **values: Any) -> Response:
        """A call of the profile: its method, path, auth, headers, query and body, filled with `values`.

        `admin` / `player` are the sessions its auth may need; `key` is the idempotency key of an idempotent call (a
        fresh one when not given; `with_key=False` leaves the header out, to probe its refusal); `data` sends a raw
        body instead of the template (a signed webhook)."""
        spec = self.profile.call(name)
        what = Reason.of(N_("call '%(name)s'"), name=name)
        values = {"key": key or f"cutover-{uuid.uuid4()}", **values}
        path = fill(spec.path, values, what)
        query = query_string(spec.query, values, what)
        if query:
            path = f"{path}?{urlencode(query)}"
        hdrs = {str(k): str(v) for k, v in fill(spec.headers, values, what).items()}
        if spec.idempotent and with_key:
            hdrs[self.profile.value("headers", "idempotency")] = str(values["key"])
        hdrs.update(headers or {})
        if spec.auth != "none":
            token_of = spec.auth if isinstance(spec.auth, str) else spec.auth.token
            token = admin if token_of == "admin" else player
            if token is None:
                raise CheckFailed(N_("%(what)s needs the %(session)s session"), what=what, session=token_of)
            header, scheme = ("Authorization", "Bearer") if isinstance(spec.auth, str) else (spec.auth.header,
                                                                                            spec.auth.scheme)
            hdrs[header] = f"{scheme} {token.reveal()}".strip()
        body = fill(spec.body, values, what) if spec.body is not None and data is None else None
        resp = self.request(spec.method, str(path), json=body, data=data, headers=hdrs, may_move_money=may_move_money,
                            record=record, changes_data=changes_data)
        return Response(resp.raw, resp.exchange, spec, name, self.profile)

    def fresh(self, key: str, read: Callable[[], T], max_age_s: float = 1.0) -> T:
        """`read()`, or what it returned moments ago when the gate has sent nothing that may change data since: the
        same read twice in a row costs a remote platform's round trip for nothing (a step's balance after, then the
        next step's balance before). Anything the gate wrote since, or `max_age_s`, makes it read again. A read
        started `ahead` is waited for and taken on the same terms."""
        return self._kept(key, self._held(key, max_age_s, lambda _value: True), read)

    def showing(self, key: str, read: Callable[[], T], shows: Callable[[T], bool], max_age_s: float = 1.0) -> T:
        """What `read()` returns once the gate's last write took effect: the read started `ahead` under
        `beside(key)` (beside the state read that saw the write done, so it may predate the effect) when it `shows`
        that effect, else `read()` now, after it. Either is kept as `key`'s for the next `fresh`. A value that does
        not show the effect is never taken: a defect it hides, or a false alarm it raises, is read again first."""
        return self._kept(key, self._held(beside(key), max_age_s, shows), read)

    def _held(self, key: str, max_age_s: float, takes: Callable[[Any], bool]) -> tuple[Any, float] | None:
        """(value, answered at) of the read held under `key` (taken out), waited for when it was started ahead:
        None when the gate wrote since it started, it failed, it is older than `max_age_s`, or `takes` refuses it."""
        hit = self._reads.pop(key, None)
        if hit is None or hit[0] != self.writes:
            return None
        value, answered = hit[1], hit[2]
        if isinstance(value, Future):
            try:
                value, answered = value.result()
            except Exception:  # the read failed beside the step: the step reads again and meets the cause itself
                return None
        if answered is None or time.monotonic() - answered > max_age_s or not takes(value):
            return None
        return value, answered

    def _kept(self, key: str, held: tuple[Any, float] | None, read: Callable[[], T]) -> T:
        """`held`'s value, or `read()` now, kept under `key` for the next `fresh`."""
        value, answered = held if held is not None else (read(), time.monotonic())
        self._reads[key] = (self.writes, value, answered)
        return cast(T, value)

    def ahead(self, key: str, read: Callable[[], Any]) -> None:
        """Start `read()` now, beside what the gate does next, for the next `fresh(key, ...)` to take: the reads
        that follow one write cost one round trip instead of one each. Reads only; it is taken only while the gate
        has written nothing since it started."""
        with self._ahead_lock:  # a read may be started ahead from a background thread too (steps/common.login_ahead)
            if self._ahead is None:
                self._ahead = ThreadPoolExecutor(max_workers=AHEAD_WIDTH, thread_name_prefix="ahead")

        def timed() -> tuple[Any, float]:
            value = read()
            return value, time.monotonic()

        self._reads[key] = (self.writes, self._ahead.submit(timed), None)

    def _alive(self) -> bool:
        """One short health probe, no retry: does the target answer at all?"""
        try:
            self.session.get(self.url(self.profile.call("health").path), timeout=PROBE_TIMEOUT_S,
                             allow_redirects=False)
        except requests.RequestException:
            return False
        return True

    def _record(self, ex: Exchange) -> None:
        if self.on_exchange is not None:
            self.on_exchange(ex)

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Response:
        return self.request("POST", path, **kw)

    def options(self, path: str, **kw: Any) -> Response:
        return self.request("OPTIONS", path, **kw)


def _retry_after(resp: Response) -> float | None:
    """Seconds of a 429's Retry-After (delta-seconds or an HTTP date); None when absent or unreadable."""
    if resp.status != 429:
        return None
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _read_body(raw: requests.Response, deadline: float) -> None:
    """Read the whole answer by `deadline` (monotonic). The socket timeout bounds each read only, so a server that
    trickles its body a byte at a time could hold a call for ever; each `read1` returns what one read brings, and
    the deadline is checked between them. A body still incomplete at the deadline is a read timeout."""
    read1 = getattr(raw.raw, "read1", None)
    if read1 is None:  # urllib3 < 2: no single-read call; the socket timeout alone bounds the body
        _ = raw.content
        return
    chunks: list[bytes] = []
    try:
        while True:
            if chunks and time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout(
                    f"the answer's body was still arriving when the call's deadline passed (read timed out; "
                    f"{sum(map(len, chunks))} bytes by then)")
            chunk = read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException as exc:
        raw.close()  # the connection is in an unknown state: never reused
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
            raise requests.exceptions.ReadTimeout(str(exc)) from None
        if isinstance(exc, urllib3.exceptions.ProtocolError | urllib3.exceptions.DecodeError | OSError):
            raise requests.exceptions.ChunkedEncodingError(f"the answer's body broke off: {exc}") from None
        raise
    raw._content = b"".join(chunks)  # what `raw.content` would have read, read under the deadline
    raw._content_consumed = True  # type: ignore[attr-defined]
    raw.raw.release_conn()  # the body is read whole: the connection goes back to the pool


def _cause(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                   "Connection reset"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__ + (": " + REDACTOR.scrub(text)[:200] if text else "")
