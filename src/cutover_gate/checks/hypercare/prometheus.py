"""The Prometheus server's HTTP API (and the Alertmanager it names), asked with a deadline, and the hypercare signals
read from it: each a PromQL query of the profile's `[metrics.queries]` over the watch interval.

Every request of one check, or of one round's queries, shares one `Deadline`: Prometheus or Alertmanager slow or
down is a `PromError` saying why within it ("could not check"), never a hang. The server's address
(`CUTOVER_PROMETHEUS_URL`) is a secret: no message here carries it, nor the values of the profile's headers.
Alertmanager's address is the one Prometheus reports (`/api/v1/alertmanagers`), without user info.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from cutover_gate.checks.hypercare import interval as iv
from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.config.profile_metrics import RANGE, Metrics
from cutover_gate.config.settings import GateSettings
from cutover_gate.core.clock import iso
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret

PROMETHEUS, ALERTMANAGER = "Prometheus", "Alertmanager"
URL_ENV = "CUTOVER_PROMETHEUS_URL"
FIRST_WINDOW = timedelta(minutes=30)
"""A round with no T-0 baseline and no earlier round on record looks back this far (the runbook's 0-6 h cadence)."""
BASIS_WINDOW = "window"


class PromError(Exception):
    """Prometheus or Alertmanager could not be asked; the message is the cause (never the secret address), `reason`
    its record (a cause given as a string is shown as given)."""

    def __init__(self, reason: Reason | str) -> None:
        self.reason = reason if isinstance(reason, Reason) else Reason.verbatim(reason)
        super().__init__(self.reason.text())


class Unreachable(PromError):
    """No answer at all (refused, timed out, the deadline spent): asking again within the deadline is in vain."""


@dataclass
class Deadline:
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def timeout(self, what: str | Reason) -> float:
        left = self.remaining()
        if left <= 0.05:
            raise Unreachable(Reason.of(N_("%(what)s: the deadline of %(seconds)s s passed"), what=Reason.label(what),
                                        seconds=f"{self.seconds:g}"))
        return left


def _cause(exc: requests.RequestException, what: Reason, seconds: float) -> Reason:
    """What went wrong, in words of our own: a requests message names the host and the port."""
    if isinstance(exc, requests.Timeout):
        return Reason.of(N_("%(what)s did not answer within the deadline (%(seconds)s s)"), what=what,
                         seconds=f"{seconds:g}")
    if isinstance(exc, requests.exceptions.SSLError):
        return Reason.of(N_("%(what)s: TLS handshake failed"), what=what)
    if isinstance(exc, requests.ConnectionError):
        text = str(exc).lower()
        if "refused" in text:
            return Reason.of(N_("%(what)s: connection refused"), what=what)
        if "name or service not known" in text or "resolve" in text or "nodename" in text:
            return Reason.of(N_("%(what)s: the host name does not resolve"), what=what)
        return Reason.of(N_("%(what)s: connection failed"), what=what)
    return Reason.of(N_("%(what)s: request failed (%(error)s)"), what=what, error=type(exc).__name__)


def base_of(url: str) -> str:
    """Alertmanager's address from the URL Prometheus pushes alerts to (`.../api/v2/alerts`), without user info."""
    parts = urlsplit(url)
    path = parts.path
    for suffix in ("/api/v2/alerts", "/api/v1/alerts"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, path.rstrip("/"), "", ""))


class PromApi:
    """The HTTP API of one Prometheus server, with the profile's headers, each request within `deadline`."""

    def __init__(self, url: Secret, headers: Mapping[str, Secret | str] | None = None,
                 session: requests.Session | None = None) -> None:
        self._url = url
        self._headers = dict(headers or {})
        self._session = session or requests.Session()

    def close(self) -> None:
        self._session.close()

    def _get(self, base: str, path: str, what: Reason, deadline: Deadline, params: Mapping[str, str] | None = None
             ) -> Any:
        timeout = deadline.timeout(what)
        headers = {k: v.reveal() if isinstance(v, Secret) else v for k, v in self._headers.items()}
        try:
            resp = self._session.get(base.rstrip("/") + path, params=params, headers=headers, timeout=timeout,
                                     allow_redirects=False)
        except requests.RequestException as exc:
            raise Unreachable(_cause(exc, what, deadline.seconds)) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200:
            detail = body.get("error") if isinstance(body, dict) and body.get("error") else ""
            raise PromError(Reason.of(N_("%(what)s answered HTTP %(status)s: %(detail)s"), what=what,
                                      status=resp.status_code, detail=str(detail)[:200]) if detail else
                            Reason.of(N_("%(what)s answered HTTP %(status)s"), what=what, status=resp.status_code))
        if body is None:
            raise PromError(Reason.of(N_("%(what)s answered 200 without JSON"), what=what))
        return body

    def api(self, path: str, deadline: Deadline, params: Mapping[str, str] | None = None) -> Any:
        """`data` of a Prometheus API answer (`{"status": "success", "data": ...}`)."""
        what = Reason.of(N_("%(server)s %(path)s"), server=PROMETHEUS, path=path)
        body = self._get(self._url.reveal(), path, what, deadline, params)
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            raise PromError(Reason.of(N_("%(what)s: %(error)s"), what=what, error=error) if error else
                            Reason.of(N_("%(what)s: not an API answer"), what=what))
        return body.get("data")

    def rule_groups(self, deadline: Deadline) -> list[dict[str, Any]]:
        data = self.api("/api/v1/rules", deadline)
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            raise PromError(Reason.of(N_("%(server)s /api/v1/rules: no rule groups in the answer"), server=PROMETHEUS))
        return [g for g in groups if isinstance(g, dict)]

    def alertmanagers(self, deadline: Deadline) -> tuple[list[str], int]:
        """The active Alertmanagers' addresses and how many Prometheus dropped."""
        data = self.api("/api/v1/alertmanagers", deadline)
        data = data if isinstance(data, dict) else {}
        active = [base_of(str(a["url"])) for a in data.get("activeAlertmanagers") or []
                  if isinstance(a, dict) and a.get("url")]
        return list(dict.fromkeys(active)), len(data.get("droppedAlertmanagers") or [])

    def alertmanager_status(self, base: str, deadline: Deadline) -> dict[str, Any]:
        what = Reason.of(N_("%(manager)s at %(address)s"), manager=ALERTMANAGER, address=base)
        body = self._get(base, "/api/v2/status", what, deadline)
        if not isinstance(body, dict):
            raise PromError(Reason.of(N_("%(what)s: /api/v2/status is not an object"), what=what))
        return body

    def alerts(self, deadline: Deadline) -> list[dict[str, Any]]:
        data = self.api("/api/v1/alerts", deadline)
        alerts = data.get("alerts") if isinstance(data, dict) else None
        if not isinstance(alerts, list):
            raise PromError(Reason.of(N_("%(server)s /api/v1/alerts: no alert list in the answer"), server=PROMETHEUS))
        return [a for a in alerts if isinstance(a, dict)]

    def query(self, promql: str, at: datetime | None, deadline: Deadline) -> dict[str, Any]:
        """An instant query at `at` (None: the server's now)."""
        params = {"query": promql} | ({"time": f"{at.timestamp():.3f}"} if at is not None else {})
        data = self.api("/api/v1/query", deadline, params)
        if not isinstance(data, dict) or "resultType" not in data:
            raise PromError(Reason.of(N_("%(server)s /api/v1/query: no result in the answer"), server=PROMETHEUS))
        return data


def connect(settings: GateSettings, metrics: Metrics) -> PromApi:
    """The API of the run's Prometheus; PromError when CUTOVER_PROMETHEUS_URL or a header's variable is unset."""
    url = settings.secret("prometheus_url")
    if url is None:
        raise PromError(Reason.of(N_("%(var)s is not set: no Prometheus server to ask"), var=URL_ENV))
    headers: dict[str, Secret | str] = {}
    missing = []
    for name, var in metrics.headers.items():
        value = settings.secret_of_var(var)
        if value is None:
            missing.append(f"{name} (${var})")
        else:
            headers[name] = value
    if missing:
        raise PromError(Reason.of(N_("[metrics] headers: %(missing)s unset"), missing=", ".join(missing)))
    return PromApi(url, headers)


# -- the signals of a watch round ----------------------------------------------------------------------------------
def fill(promql: str, seconds: int) -> str:
    return promql.replace(RANGE, f"[{seconds}s]")


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def one_number(data: Mapping[str, Any]) -> float | None:
    """The single value of a scalar, or of a vector of one sample; None for an empty vector (no data) or NaN.
    ValueError when the answer holds several series (the query must aggregate them)."""
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return _number(result[1])
    if kind == "vector" and isinstance(result, list):
        if not result:
            return None
        if len(result) > 1:
            raise ValueError(f"{len(result)} series, not one: aggregate them (sum(...))")
        return _number((result[0].get("value") or [None, None])[1])
    raise ValueError(f"a {kind} result, not a number")


def by_label(data: Mapping[str, Any], label: str) -> dict[str, float]:
    """A vector's values by one label (`handler`), NaN and zero left out."""
    if data.get("resultType") != "vector":
        raise ValueError(f"a {data.get('resultType')} result, not a vector by {label}")
    out: dict[str, float] = {}
    for sample in data.get("result") or []:
        value = _number((sample.get("value") or [None, None])[1])
        if value:
            key = str((sample.get("metric") or {}).get(label, ""))
            out[key] = out.get(key, 0.0) + value
    return out


@dataclass(frozen=True)
class QueriedRate(sig.ErrorRate):
    measured: float | None = None

    @property
    def rate(self) -> float | None:
        return self.measured if self.total > 0 else None


@dataclass(frozen=True)
class QueriedInterval(iv.Interval):
    """The watch interval as Prometheus measured it: each signal a query over `[<seconds>s]` at the round's time.
    Counter resets are Prometheus' business (increase() and rate() see through a restart)."""

    seconds: int = 0
    error_rate: float | None = None
    requests: float | None = None
    p95: float | None = None
    payout_5xx: dict[str, float] = field(default_factory=dict)
    queries: tuple[dict[str, Any], ...] = ()

    @property
    def rate(self) -> sig.ErrorRate:
        total = self.requests or 0.0
        errors = round((self.error_rate or 0.0) * total, 1)
        return QueriedRate(errors, total, self.error_rate)

    @property
    def p95_s(self) -> float | None:
        return self.p95

    @property
    def observations(self) -> float:
        return self.requests or 0.0

    def handlers_5xx(self) -> dict[str, float]:
        return dict(self.payout_5xx)

    def described(self) -> Reason:
        span = sig.in_hours(self.seconds / 3600) if self.seconds >= 3600 else sig.in_minutes(self.seconds / 60)
        if self.basis == BASIS_WINDOW:
            since = Reason.of(N_("over the last %(span)s (no T-0 baseline or earlier round on record)"), span=span)
        else:
            since = iv.since(self.basis, iso(self.start) if self.start else "?", span)
        return Reason.of(N_("%(since)s, by Prometheus over %(range)s at %(at)s"), since=since,
                         range=f"[{self.seconds}s]", at=iso(self.end))

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {"from": iso(self.start) if self.start else None, "to": iso(self.end), "basis": self.basis,
                "reset": None, "requests": rate.total, "errors_5xx": rate.errors, "error_rate": rate.rate,
                "p95_s": self.p95, "observations": self.observations, "source": "prometheus",
                "range": f"[{self.seconds}s]"}


NUMBER_QUERIES = ("error_rate", "requests", "p95_seconds")
"""The queries every round needs (a missing one is a signal not read)."""


@dataclass
class Measured:
    """What one round's queries answered; `reasons` names what could not be read, and why (`unavailable`: in
    English)."""

    interval: QueriedInterval
    payouts: sig.PayoutRate | None = None
    reasons: dict[str, Reason] = field(default_factory=dict)
    unreachable: str = ""
    """Why Prometheus gave no answer at all (the queries after it were not sent)."""

    @property
    def unavailable(self) -> dict[str, str]:
        return {signal: why.text() for signal, why in self.reasons.items()}


def measure(api: PromApi, metrics: Metrics, *, start: datetime | None, basis: str, end: datetime,
            min_sample: int, handler_label: str = "handler") -> Measured:
    """Every query of `[metrics.queries]` at `end` over the interval from `start` (None: FIRST_WINDOW); payout_5xx
    by `handler_label`."""
    if start is None or start >= end:
        start, basis = end - FIRST_WINDOW, BASIS_WINDOW
    seconds = max(1, math.ceil((end - start).total_seconds()))
    deadline = Deadline(metrics.deadline_s)
    records: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    unavailable: dict[str, Reason] = {}
    unreachable = ""
    asked = {name: text for name, text in metrics.queries.model_dump().items() if text}
    for name in NUMBER_QUERIES:
        if name not in asked:
            unavailable[f"metrics.{name}"] = Reason.of(N_("[metrics.queries] %(name)s is not set"), name=name)
    for name, text in asked.items():
        promql = fill(text, seconds)
        record: dict[str, Any] = {"name": name, "query": promql, "at": iso(end)}
        records.append(record)
        try:
            data = api.query(promql, end, deadline)
            record["result_type"], record["result"] = data.get("resultType"), data.get("result")
            values[name] = by_label(data, handler_label) if name == "payout_5xx" else one_number(data)
            if name == "requests" and values[name] is None:  # a volume always answers, 0 when idle
                unavailable["metrics.requests"] = Reason.of(N_("query requests answered no series: it selects none "
                                                               "of the target's metrics over the interval"))
        except (PromError, ValueError) as exc:
            record["error"] = str(exc)
            unavailable[f"metrics.{name}"] = (Reason.of(N_("could not check: %(cause)s"), cause=exc.reason)
                                              if isinstance(exc, PromError) else
                                              Reason.of(N_("query %(name)s answered %(error)s"), name=name, error=exc))
            if isinstance(exc, Unreachable):  # the server is not answering: the other queries would wait in vain
                unreachable = str(exc)
                break
    interval = QueriedInterval(start, end, basis, {}, {}, seconds=seconds, error_rate=values.get("error_rate"),
                               requests=values.get("requests"), p95=values.get("p95_seconds"),
                               payout_5xx=values.get("payout_5xx") or {}, queries=tuple(records))
    payouts = None
    if {"payouts_paid", "payouts_failed"} <= set(values):  # both answered (no series: no such outcome)
        payouts = sig.PayoutRate(round(values["payouts_failed"] or 0), round(values["payouts_paid"] or 0),
                                 seconds / 60, min_sample)
    return Measured(interval, payouts, unavailable, unreachable)
