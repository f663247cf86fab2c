"""The target client: HTTP to the platform under test, with redaction, clear errors and polling.

Steps stay thin: they call this client. Nothing here knows about the sandbox; everything goes through the profile.
"""

from __future__ import annotations

import json as jsonlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
)

from cutover_gate.config.profile_schema import Call
from cutover_gate.config.target_profile import Profile, dig
from cutover_gate.core.clock import utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import MASK, REDACTOR, SENSITIVE_KEY, Secret
from cutover_gate.target.breaker import PROBE_TIMEOUT_S, WRITE_METHODS, Breaker
from cutover_gate.target.calls import fill, query_string

MAX_BODY = 4000


class TargetUnreachable(CheckFailed):
    """The target did not answer at all."""


class RateLimited(CheckFailed):
    """The target answered 429 for longer than the step may wait: not a defect of the platform, a retry later."""


@dataclass
class Exchange:
    method: str
    url: str
    status: int | None
    elapsed_ms: float
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    response_body: Any = None
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method, "url": self.url, "status": self.status, "elapsed_ms": round(self.elapsed_ms, 1),
            "request_headers": self.request_headers, "request_body": self.request_body,
            "response_body": self.response_body, "error": self.error,
        }


def _redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if SENSITIVE_KEY.search(k) else REDACTOR.scrub(v)) for k, v in headers.items()}


def _body_for_evidence(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, bytes | str):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            return REDACTOR.scrub_obj(jsonlib.loads(text))
        except ValueError:
            return REDACTOR.scrub(text[:MAX_BODY])
    return REDACTOR.scrub_obj(raw)


def to_decimal(value: Any, what: str) -> Decimal:
    """Amounts are compared as Decimal, never float: parse from the JSON text form."""
    if isinstance(value, bool) or value is None:
        raise CheckFailed(f"{what} is {value!r}, not an amount")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise CheckFailed(f"{what} is {value!r}, not an amount") from None


class Response:
    def __init__(self, raw: requests.Response, exchange: Exchange, spec: Call | None = None, name: str = "") -> None:
        self.raw = raw
        self.status = raw.status_code
        self.headers = raw.headers
        self.text = raw.text
        self.exchange = exchange
        self.spec = spec
        """The declared call this answers, when it was made with `TargetClient.call`."""
        self.name = name

    def json(self) -> Any:
        try:
            return self.raw.json()
        except ValueError:
            ctype = self.headers.get("content-type", "?")
            raise CheckFailed(f"{self.exchange.method} {self.exchange.url} answered {self.status} with a non-JSON body "
                              f"(content-type {ctype})") from None

    def field(self, dotted: str) -> Any:
        body = self.json()
        try:
            return dig(body, dotted)
        except KeyError as exc:
            raise CheckFailed(f"{self.exchange.method} {self.exchange.url}: {exc.args[0]} in the answer") from None

    def answer(self, key: str) -> Any:
        """The answer field `key` of the declared call (`answer.<key>` of the profile's call)."""
        if self.spec is None or key not in self.spec.answer:
            raise CheckFailed(f"{self.exchange.method} {self.exchange.url}: the profile's call '{self.name}' does not "
                              f"say where '{key}' is in the answer (calls.{self.name}.answer.{key})")
        return self.field(self.spec.answer[key])

    def word(self, key: str) -> str:
        """The answer field `key` as a state word to compare with the profile's: JSON's own spelling for true, false
        and null (a boolean `"ready": true` is the word "true")."""
        value = self.answer(key)
        return jsonlib.dumps(value) if value is None or isinstance(value, bool) else str(value)

    def items(self) -> list[dict[str, Any]]:
        """The list answer's elements (`answer.items`), objects only."""
        found = self.answer("items")
        if not isinstance(found, list):
            raise CheckFailed(f"{self.exchange.method} {self.exchange.url}: '{self.name}' answer's items is not a list")
        return [i for i in found if isinstance(i, dict)]

    def item(self, element: dict[str, Any], key: str) -> Any:
        """Field `key` of one list element (`item.<key>` of the profile's call); KeyError when it lacks it."""
        if self.spec is None or key not in self.spec.item:
            raise CheckFailed(f"the profile's call '{self.name}' does not say where '{key}' is in an element "
                              f"(calls.{self.name}.item.{key})")
        return dig(element, self.spec.item[key])

    def ok(self, what: str) -> Response:
        """The answer, when its status is one the declared call accepts; CheckFailed naming it otherwise."""
        return self.expect(*(self.spec.accept if self.spec else (200,)), what=what)

    def error_code(self, profile: Profile, *, or_detail: bool = False) -> str:
        """The platform's error code (`[errors] code_field`; with `or_detail`, else `detail_field`) of a JSON answer;
        "" when the answer carries none."""
        try:
            body = self.json()
        except CheckFailed:
            return ""
        if not isinstance(body, dict):
            return ""
        code = body.get(profile.value("errors", "code_field"))
        if not code and or_detail:
            code = body.get(profile.value("errors", "detail_field"))
        return str(code or "")

    def describe(self) -> str:
        body = _body_for_evidence(self.text)
        snippet = jsonlib.dumps(body)[:300] if not isinstance(body, str) else body[:300]
        return f"{self.exchange.method} {self.exchange.url} -> {self.status} {snippet}"

    def expect(self, *statuses: int, what: str) -> Response:
        if self.status not in statuses:
            want = " or ".join(str(s) for s in statuses)
            raise CheckFailed(f"{what}: expected HTTP {want}, got {self.describe()}")
        return self


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

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def request(self, method: str, path: str, *, token: Secret | None = None, json: Any = None,
                data: bytes | None = None, headers: dict[str, str] | None = None, retries: int | None = None,
                may_move_money: bool | None = None) -> Response:
        """`may_move_money=False` says the request cannot move money whatever the target does with it (OPTIONS, an
        empty body, an unsigned or wrongly signed event): a transport failure on it puts no write in doubt. By
        default every write may (fail closed)."""
        url = self.url(path)
        if self.breaker.down_since is not None:
            raise TargetUnreachable(f"{method} {url}: not sent, {self.breaker.describe()}")
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token.reveal()}"
        if json is not None and data is None:
            data = jsonlib.dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        waited = 0.0
        while True:
            resp = self._send(method, url, hdrs, data, retries, may_move_money)
            pause = _retry_after(resp)
            if resp.status != 429:
                return resp
            if pause is None or waited + pause > self.rate_limit_wait_s:
                raise RateLimited(f"{method} {url}: rate limited by the target (HTTP 429, Retry-After "
                                  f"{resp.headers.get('Retry-After') or 'not given'}) for longer than the "
                                  f"{self.rate_limit_wait_s:g} s a call may wait; run again later")
            time.sleep(pause)  # a 429 was not processed: sending it again cannot move money twice
            waited += pause

    def _send(self, method: str, url: str, hdrs: dict[str, str], data: bytes | None, retries: int | None,
              may_move_money: bool | None = None) -> Response:
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
            self._record(ex)
            in_doubt = method in WRITE_METHODS if may_move_money is None else may_move_money
            self.breaker.transport_failure(method, url, cause, self._alive, in_doubt=in_doubt)
            raise TargetUnreachable(f"{method} {url}: target unreachable ({cause})") from None
        ex = Exchange(method, url, raw.status_code, (time.perf_counter() - start) * 1000, _redacted_headers(hdrs),
                      _body_for_evidence(data), _body_for_evidence(raw.content[:MAX_BODY]))
        self._record(ex)
        return Response(raw, ex)

    def call(self, name: str, *, admin: Secret | None = None, player: Secret | None = None, key: str | None = None,
             with_key: bool = True, data: bytes | None = None, headers: Mapping[str, str] | None = None,
             may_move_money: bool | None = None, **values: Any) -> Response:
        """A call of the profile: its method, path, auth, headers, query and body, filled with `values`.

        `admin` / `player` are the sessions its auth may need; `key` is the idempotency key of an idempotent call (a
        fresh one when not given; `with_key=False` leaves the header out, to probe its refusal); `data` sends a raw
        body instead of the template (a signed webhook)."""
        spec = self.profile.call(name)
        what = f"call '{name}'"
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
                raise CheckFailed(f"{what} needs the {token_of} session")
            header, scheme = ("Authorization", "Bearer") if isinstance(spec.auth, str) else (spec.auth.header,
                                                                                            spec.auth.scheme)
            hdrs[header] = f"{scheme} {token.reveal()}".strip()
        body = fill(spec.body, values, what) if spec.body is not None and data is None else None
        resp = self.request(spec.method, str(path), json=body, data=data, headers=hdrs, may_move_money=may_move_money)
        return Response(resp.raw, resp.exchange, spec, name)

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


def poll(read: Callable[[], str], *, done: Iterable[str], failed: Iterable[str], deadline_s: float,
         interval_s: float, what: str) -> str:
    """Poll `read()` until it returns a state in `done`; stop at once on a state in `failed`; give up at the deadline.

    Returns the final state; raises CheckFailed naming the last state seen otherwise.
    """
    done_set, failed_set = set(done), set(failed)
    last: list[str] = []

    def observe() -> str:
        state = read()
        last.append(state)
        if state in failed_set:
            raise CheckFailed(f"{what}: reached terminal failure state '{state}'")
        return state

    retrying = Retrying(stop=stop_after_delay(deadline_s), wait=wait_fixed(interval_s),
                        retry=retry_if_result(lambda s: s not in done_set))
    try:
        return str(retrying(observe))
    except RetryError:
        seen = last[-1] if last else "nothing"
        raise CheckFailed(f"{what}: still '{seen}' after {deadline_s:g} s (waiting for {sorted(done_set)})") from None
