"""Hypercare signals: what a watch round reads, as plain values.

Prometheus text (read with `prometheus_client.parser`), request counts per handler and status class, counter and
histogram deltas between two scrapes, the p95 from histogram buckets; the withdrawal queue (items overdue against a
limit) and the payout outcomes of a recent window. No HTTP here: checks/hypercare/watch.py gathers the inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from cutover_gate.core.clock import parse_time
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

K = TypeVar("K")

# -- Prometheus text exposition ---------------------------------------------------------------------------------


class MetricsError(ValueError):
    """The text is not Prometheus exposition format; the message names the line."""


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Exposition:
    samples: list[Sample] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    """`# TYPE` declarations: metric family -> counter | gauge | histogram | summary | unknown."""

    def series(self, name: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name]


def _families(text: str) -> Exposition:
    expo = Exposition()
    for family in text_string_to_metric_families(text):
        # the parser names a counter family without its `_total` suffix; the exposition declared it with it
        name = f"{family.name}_total" if family.type == "counter" else family.name
        expo.types[name] = family.type
        expo.samples.extend(Sample(s.name, dict(s.labels), float(s.value)) for s in family.samples)
    return expo


def _extra_fields(line: str) -> bool:
    """`name{labels} value [timestamp]`: the library ignores anything after the timestamp; the format does not."""
    rest = line.rsplit("}", 1)[1] if "}" in line else line.split(None, 1)[1] if " " in line.strip() else ""
    return len(rest.split()) > 2


def parse_metrics(text: str) -> Exposition:
    """Parse Prometheus text format 0.0.4; a malformed line is a MetricsError naming it."""
    try:
        expo = _families(text)
    except ValueError:
        expo = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if expo is None:
            try:
                _families(line + "\n")
            except ValueError as exc:
                raise MetricsError(f"line {lineno}: not a sample ({exc or 'malformed'}): {line[:120]}") from None
        if _extra_fields(line):
            raise MetricsError(f"line {lineno}: not a sample (more than a value and a timestamp): {line[:120]}")
    if expo is None:
        raise MetricsError("not Prometheus text")
    return expo


def status_class(value: str) -> str | None:
    """`"5xx"` -> `"5xx"`, `"503"` -> `"5xx"`; anything else None."""
    v = value.strip().lower()
    if re.fullmatch(r"[1-5]xx", v):
        return v
    if re.fullmatch(r"[1-5]\d\d", v):
        return v[0] + "xx"
    return None


def request_counts(expo: Exposition, counter: str, *, status_label: str = "status", handler_label: str = "handler",
                   exclude: Iterable[str] = ()) -> dict[tuple[str, str], float]:
    """(handler, status class) -> requests, summed over the other labels; excluded handlers left out."""
    skip = set(exclude)
    out: dict[tuple[str, str], float] = {}
    for s in expo.series(counter):
        handler = s.labels.get(handler_label, "")
        cls = status_class(s.labels.get(status_label, ""))
        if handler in skip or cls is None or math.isnan(s.value):
            continue
        out[(handler, cls)] = out.get((handler, cls), 0.0) + s.value
    return out


def counter_delta(before: Mapping[K, float], after: Mapping[K, float]) -> dict[K, float]:
    """What each counter grew by; a counter lower than before was reset (a restart), so all of it is new."""
    out: dict[K, float] = {}
    for key, value in after.items():
        prev = before.get(key, 0.0)
        out[key] = value - prev if value >= prev else value
    return out


def by_class(counts: Mapping[tuple[str, str], float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for (_handler, cls), n in counts.items():
        out[cls] = out.get(cls, 0.0) + n
    return out


@dataclass(frozen=True)
class ErrorRate:
    errors: float
    total: float

    @property
    def rate(self) -> float | None:
        """None when there was no request at all: no data, not a failure."""
        return self.errors / self.total if self.total > 0 else None

    @classmethod
    def of(cls, counts: Mapping[tuple[str, str], float]) -> ErrorRate:
        classes = by_class(counts)
        return cls(classes.get("5xx", 0.0), sum(classes.values()))


def histogram_buckets(expo: Exposition, name: str, *, handler_label: str = "handler",
                      exclude: Iterable[str] = ()) -> dict[float, float]:
    """Upper bound `le` -> cumulative count, summed over every series of the histogram (excluded handlers left out)."""
    skip = set(exclude)
    out: dict[float, float] = {}
    for s in expo.series(f"{name}_bucket"):
        if s.labels.get(handler_label, "") in skip or "le" not in s.labels:
            continue
        try:
            le = float(s.labels["le"])
        except ValueError:
            raise MetricsError(f"{name}_bucket has le={s.labels['le']!r}, not a number") from None
        out[le] = out.get(le, 0.0) + s.value
    return out


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """Prometheus' histogram_quantile over cumulative buckets: linear within the bucket holding the rank.

    None without observations. A rank in the +Inf bucket answers the highest finite bound (as Prometheus does).
    """
    # hand-written: histogram_quantile is PromQL, evaluated by the Prometheus server; the client library has none
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} outside [0, 1]")
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        raise MetricsError("histogram has no +Inf bucket")
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank and count > prev_count:
            if math.isinf(bound):
                return prev_bound
            lower = prev_bound if prev_bound < bound else 0.0
            return lower + (bound - lower) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


# -- withdrawal queue and payouts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueItem:
    ref: str
    state: str
    age_minutes: float

    def describe(self) -> str:
        return self.described().text()

    def described(self) -> Reason:
        """`describe()` as a catalogue message."""
        return Reason.of(N_("%(ref)s %(state)s for %(minutes)s min"), ref=self.ref, state=self.state,
                         minutes=f"{self.age_minutes:.0f}")


def in_hours(hours: float) -> Reason:
    """A span of `hours`, one decimal: "1.5 h"."""
    return Reason.of(N_("%(hours)s h"), hours=f"{hours:.1f}")


def in_minutes(minutes: float) -> Reason:
    """A span of whole `minutes`: "30 min"."""
    return Reason.of(N_("%(minutes)s min"), minutes=f"{minutes:.0f}")


def listed(parts: Iterable[Reason]) -> Reason:
    """`parts` one after the other, separated by commas ("" when there is none)."""
    out: Reason | None = None
    for part in parts:
        out = part if out is None else Reason.of(N_("%(listed)s, %(part)s"), listed=out, part=part)
    return out if out is not None else Reason("")


def overdue(items: Iterable[Mapping[str, Any]], *, states: Iterable[str], minutes: float, now: datetime,
            time_field: str, id_field: str, state_field: str = "state",
            fallback_time_field: str | None = None) -> list[QueueItem]:
    """Items in one of `states` whose time field is more than `minutes` old, oldest first."""
    wanted = set(states)
    out: list[QueueItem] = []
    for item in items:
        state = str(item.get(state_field, ""))
        if state not in wanted:
            continue
        ts = parse_time(item.get(time_field))
        if ts is None and fallback_time_field:
            ts = parse_time(item.get(fallback_time_field))
        if ts is None:
            continue
        age = (now - ts).total_seconds() / 60
        if age > minutes:
            out.append(QueueItem(str(item.get(id_field, "?")), state, age))
    return sorted(out, key=lambda i: -i.age_minutes)


@dataclass(frozen=True)
class PayoutRate:
    failed: int
    succeeded: int
    window_minutes: float
    min_sample: int

    @property
    def total(self) -> int:
        return self.failed + self.succeeded

    @property
    def rate(self) -> float | None:
        """None below the minimum sample: too few payouts to call a rate ("no data", never a failure)."""
        return self.failed / self.total if self.total and self.total >= self.min_sample else None

    def exceeds(self, limit: float) -> bool:
        return self.rate is not None and self.rate > limit

    def describe(self) -> str:
        return self.described().text()

    def described(self) -> Reason:
        """`describe()` as a catalogue message."""
        window = (in_hours(self.window_minutes / 60) if self.window_minutes >= 120
                  else in_minutes(self.window_minutes))
        if self.rate is None:
            return Reason.of(N_("no data: %(total)s payout outcome(s) in the last %(window)s, fewer than the "
                                "%(needed)s needed"), total=self.total, window=window, needed=self.min_sample)
        return Reason.of(N_("%(rate)s (%(failed)s failed of %(total)s payouts in the last %(window)s)"),
                         rate=f"{self.rate:.1%}", failed=self.failed, total=self.total, window=window)


def payout_rate(items: Iterable[Mapping[str, Any]], *, now: datetime, window_minutes: float, min_sample: int,
                paid_states: Iterable[str], failed_states: Iterable[str], time_field: str, id_field: str,
                state_field: str = "state", provider_field: str | None = None) -> PayoutRate:
    """Payout outcomes reached within the window (by `time_field`, the time of the last state change).

    When the items carry `provider_field`, only provider payouts count (a withdrawal marked paid by hand is not a
    payout the PSP could fail).
    """
    paid, failed = set(paid_states), set(failed_states)
    since = now - timedelta(minutes=window_minutes)
    seen: set[str] = set()
    n_paid = n_failed = 0
    for item in items:
        ref = str(item.get(id_field, id(item)))
        state = str(item.get(state_field, ""))
        if ref in seen or state not in paid | failed:
            continue
        seen.add(ref)
        if provider_field and provider_field in item and not item.get(provider_field):
            continue
        ts = parse_time(item.get(time_field))
        if ts is None or ts < since:
            continue
        if state in failed:
            n_failed += 1
        else:
            n_paid += 1
    return PayoutRate(n_failed, n_paid, window_minutes, min_sample)
