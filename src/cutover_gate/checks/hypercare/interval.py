"""The watch interval: what the platform served between two scrapes of /metrics, however far apart.

A scrape is kept as a `CounterState` (request counts per handler and status class, the latency histogram's buckets
summed over its series, the process start time when exposed). A round compares its scrape with the previous
round's, or, for the first round, with the baseline T-0 stored, so the 5xx rate and p95 cover the whole time
between them, not the seconds a round lasts. Counters only grow while a process lives: a value lower than before,
or another process start time, is a restart (a counter reset). Then the interval holds only what the platform counted
since it restarted (what it served before is unseen and said so), never a negative rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.core.clock import iso, parse_time
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

BASELINE, PREVIOUS, SINCE_START = "t0_baseline", "previous_round", "since_start"
"""What an interval starts from: the T-0 baseline scrape, the previous round's, or the counters' start (neither)."""


def _le_key(le: float) -> str:
    return "+Inf" if math.isinf(le) else repr(le)


@dataclass(frozen=True)
class CounterState:
    at: datetime
    requests: dict[tuple[str, str], float]
    """(handler, status class) -> requests counted, excluded handlers left out."""
    buckets: dict[float, float]
    """Upper bound -> cumulative latency observations, summed over every series."""
    start_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "requests": [[h, c, n] for (h, c), n in sorted(self.requests.items())],
                "buckets": [[_le_key(le), n] for le, n in sorted(self.buckets.items())],
                "start_time": self.start_time}

    @classmethod
    def from_json(cls, data: Any) -> CounterState | None:
        """None for anything that is not a stored scrape (an older record, a baseline that could not be taken)."""
        if not isinstance(data, Mapping) or (at := parse_time(data.get("at"))) is None:
            return None
        try:
            requests = {(str(h), str(c)): float(n) for h, c, n in data.get("requests") or []}
            buckets = {float(le): float(n) for le, n in data.get("buckets") or []}
            start = data.get("start_time")
            start_time = float(start) if start is not None else None
        except (TypeError, ValueError):
            return None
        return cls(at, requests, buckets, start_time) if requests else None


def state_of(expo: sig.Exposition, cfg: HypercareConfig, at: datetime) -> CounterState:
    """The counters of one scrape. MetricsError when the latency histogram is malformed."""
    requests = sig.request_counts(expo, cfg.requests_counter, status_label=cfg.status_label,
                                  handler_label=cfg.handler_label, exclude=cfg.exclude_handlers)
    buckets = sig.histogram_buckets(expo, cfg.latency_histogram, handler_label=cfg.handler_label,
                                    exclude=cfg.exclude_handlers)
    starts = [s.value for s in expo.series(cfg.start_time_metric)] if cfg.start_time_metric else []
    return CounterState(at, requests, buckets, max(starts) if starts else None)


def restarted(before: CounterState, after: CounterState) -> str | None:
    """Why the counters were reset between two scrapes (a restart), or None when they only grew."""
    why = restart_reason(before, after)
    return why.text() if why is not None else None


def restart_reason(before: CounterState, after: CounterState) -> Reason | None:
    """`restarted` as a catalogue message."""
    if before.start_time is not None and after.start_time is not None and after.start_time != before.start_time:
        return Reason.of(N_("the process start time changed"))
    fell = [f"{h} {c}" for (h, c), n in before.requests.items() if after.requests.get((h, c), 0.0) < n]
    if fell:
        return Reason.of(N_("request counters fell (%(counters)s)"), counters=", ".join(sorted(fell)[:3]))
    if any(after.buckets.get(le, 0.0) < n for le, n in before.buckets.items()):
        return Reason.of(N_("the latency histogram's counts fell"))
    return None


def since(basis: str, start: str, span: Reason) -> Reason:
    """Since the T-0 baseline or the previous round, at `start`, `span` ago."""
    if basis == BASELINE:
        return Reason.of(N_("since the T-0 baseline at %(at)s (%(span)s)"), at=start, span=span)
    return Reason.of(N_("since the previous round at %(at)s (%(span)s)"), at=start, span=span)


@dataclass(frozen=True)
class Interval:
    start: datetime | None
    """The earlier scrape's time; None: since the platform's counters started (no earlier scrape known)."""
    end: datetime
    basis: str
    counts: dict[tuple[str, str], float]
    buckets: dict[float, float]
    reset: str | None = None
    """Why the counters were reset inside the interval (a restart), if they were."""
    reset_reason: Reason | None = field(default=None, compare=False, repr=False)
    """`reset` as a catalogue message (None: given as English only)."""

    @property
    def rate(self) -> sig.ErrorRate:
        return sig.ErrorRate.of(self.counts)

    @property
    def hours(self) -> float | None:
        return (self.end - self.start).total_seconds() / 3600 if self.start else None

    @property
    def p95_s(self) -> float | None:
        return sig.quantile(0.95, self.buckets) if self.buckets else None

    @property
    def observations(self) -> float:
        return self.buckets[max(self.buckets)] if self.buckets else 0.0

    def handlers_5xx(self) -> dict[str, float]:
        return {h: n for (h, cls), n in self.counts.items() if cls == "5xx" and n > 0}

    def describe(self) -> str:
        return self.described().text()

    def described(self) -> Reason:
        """`describe()` as a catalogue message."""
        if self.start is None:
            text = Reason.of(N_("since the platform's counters started (no T-0 baseline or earlier round on record)"))
        else:
            hours = self.hours or 0.0
            text = since(self.basis, iso(self.start), sig.in_hours(hours) if hours >= 1 else sig.in_minutes(hours * 60))
        if self.reset:
            return Reason.of(N_("%(interval)s; counters reset inside it (%(reset)s): the platform restarted, only what "
                                "it served since the restart is counted"), interval=text,
                             reset=self.reset_reason or Reason.verbatim(self.reset))
        return text

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {"from": iso(self.start) if self.start else None, "to": iso(self.end), "basis": self.basis,
                "reset": self.reset, "requests": rate.total, "errors_5xx": rate.errors, "error_rate": rate.rate,
                "p95_s": self.p95_s, "observations": self.observations}


def between(before: CounterState | None, after: CounterState, basis: str) -> Interval:
    """The interval from `before` (None: since the counters started) to `after`; a reset counts from zero."""
    if before is None:
        return Interval(None, after.at, SINCE_START, dict(after.requests), dict(after.buckets))
    reset = restart_reason(before, after)
    if reset:
        return Interval(before.at, after.at, basis, dict(after.requests), dict(after.buckets), reset.text(), reset)
    return Interval(before.at, after.at, basis, sig.counter_delta(before.requests, after.requests),
                    sig.counter_delta(before.buckets, after.buckets))


def latest(candidates: Mapping[str, CounterState | None], now: datetime) -> tuple[CounterState | None, str]:
    """The newest stored state older than `now` among the candidates (basis -> state), and its basis."""
    known = [(state, basis) for basis, state in candidates.items() if state is not None and state.at < now]
    if not known:
        return None, SINCE_START
    state, basis = max(known, key=lambda pair: pair[0].at)
    return state, basis
