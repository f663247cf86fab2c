"""Hypercare (runbook §4 "Hypercare routine (72 h)"): the plain logic behind one watch round.

Prometheus text parsing, counter and histogram deltas between two scrapes, the p95 from histogram buckets, the
withdrawal queue (backlog against the SLA, stuck payouts), the recent payout failure rate, the thresholds of the
profile's `[hypercare]` section, the evaluation of a round into findings, and the 72-hour stability of the rounds a
release has on record. No HTTP and no pytest here: steps/hypercare.py gathers the observations and calls these.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

K = TypeVar("K")

# -- Prometheus text exposition ---------------------------------------------------------------------------------

_SAMPLE = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*(?:,|$)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


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
    """`# TYPE` declarations: metric family -> counter | gauge | histogram | summary | untyped."""

    def series(self, name: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name]


def _labels(text: str, lineno: int) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if m is None:
            raise MetricsError(f"line {lineno}: malformed labels {{{text}}}")
        out[m["key"]] = re.sub(r'\\[\\"n]', lambda e: _UNESCAPE[e.group(0)], m["value"])
        pos = m.end()
    return out


def parse_metrics(text: str) -> Exposition:
    """Parse Prometheus text format 0.0.4 (comments, `# TYPE`, labels with escapes, +Inf/NaN, timestamps)."""
    expo = Exposition()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                expo.types[parts[2]] = parts[3].strip()
            continue
        m = _SAMPLE.match(line)
        if m is None:
            raise MetricsError(f"line {lineno}: not a sample: {line[:120]}")
        try:
            value = float(m["value"])
        except ValueError:
            raise MetricsError(f"line {lineno}: value {m['value']!r} is not a number") from None
        expo.samples.append(Sample(m["name"], _labels(m["labels"] or "", lineno), value))
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
def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (a trailing Z, or naive = UTC) or epoch seconds; None when absent or unreadable."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        ts = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QueueItem:
    ref: str
    state: str
    age_minutes: float

    def describe(self) -> str:
        return f"{self.ref} {self.state} for {self.age_minutes:.0f} min"


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
        if self.rate is None:
            return (f"no data: {self.total} payout outcome(s) in the last {self.window_minutes:g} min, fewer than "
                    f"the {self.min_sample} needed")
        return (f"{self.rate:.1%} ({self.failed} failed of {self.total} payouts in the last "
                f"{self.window_minutes:g} min)")


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


# -- configuration: the profile's [hypercare] section ---------------------------------------------------------------
@dataclass(frozen=True)
class HypercareConfig:
    # thresholds
    error_rate_max: float = 0.02
    latency_p95_max_s: float = 1.0
    backlog_sla_minutes: float = 60.0
    stuck_minutes: float = 30.0
    payout_failure_rate_max: float = 0.15
    payout_window_minutes: float = 60.0
    payout_min_sample: int = 5
    payout_lookback_hours: float = 24.0
    sample_seconds: float = 2.0
    stable_hours: float = 72.0
    max_round_gap_hours: float = 8.0
    recon_sample: int = 3
    # where the signals are
    requests_counter: str = "http_requests_total"
    latency_histogram: str = "http_request_duration_seconds"
    status_label: str = "status"
    handler_label: str = "handler"
    method_label: str = "method"
    exclude_handlers: tuple[str, ...] = ("/metrics",)
    payout_handler_pattern: str = "payout|withdraw"
    backlog_states: tuple[str, ...] = ("requested", "approved", "payout_pending")
    stuck_states: tuple[str, ...] = ("payout_pending",)
    payout_paid_states: tuple[str, ...] = ("paid",)
    payout_failed_states: tuple[str, ...] = ("payout_failed",)
    created_field: str = "created_at"
    updated_field: str = "updated_at"
    provider_field: str = "provider"
    player_field: str = "player_id"
    state_param: str = "state"
    limit_param: str = "limit"
    offset_param: str = "offset"
    page_limit: int = 200
    max_pages: int = 20
    readiness_database: str = "dependencies.database"
    database_ok: str = "connected"
    webhook_routes: tuple[str, ...] = ("webhook_payout", "webhook_adyen", "webhook_stripe")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> HypercareConfig:
        """Known keys only (an unknown key is a typo: ValueError naming it); numbers checked to be sane."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"[hypercare] has unknown key(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for key, raw in data.items():
            default = getattr(cls, key)
            if isinstance(default, tuple):
                if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
                    raise ValueError(f"[hypercare] {key} must be a list of strings")
                values[key] = tuple(raw)
            elif isinstance(default, bool | str):
                values[key] = str(raw)
            else:
                try:
                    number = type(default)(raw)
                except (TypeError, ValueError):
                    raise ValueError(f"[hypercare] {key} = {raw!r} is not a number") from None
                if number < 0 or (key.endswith(("_rate_max",)) and number > 1):
                    raise ValueError(f"[hypercare] {key} = {raw!r} is out of range")
                values[key] = number
        try:
            re.compile(values.get("payout_handler_pattern", cls.payout_handler_pattern))
        except re.error as exc:
            raise ValueError(f"[hypercare] payout_handler_pattern is not a regular expression: {exc}") from None
        return cls(**values)


# -- one watch round ------------------------------------------------------------------------------------------------
@dataclass
class Observation:
    """What one watch round measured. `unavailable` names the signals it could not read, and why."""

    at: datetime
    window_s: float | None = None
    window: ErrorRate | None = None
    cumulative: ErrorRate | None = None
    handlers_5xx: dict[str, float] = field(default_factory=dict)
    p95_s: float | None = None
    latency_samples: float = 0.0
    backlog: list[QueueItem] = field(default_factory=list)
    stuck: list[QueueItem] = field(default_factory=list)
    queue_truncated: bool = False
    payouts: PayoutRate | None = None
    invariants_checked: list[str] = field(default_factory=list)
    invariants_broken: dict[str, int] = field(default_factory=dict)
    wallets_sampled: list[str] = field(default_factory=list)
    wallet_mismatches: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)


FAIL, MONITOR = "FAIL", "MONITOR"


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # FAIL | MONITOR
    message: str
    trigger: str | None = None


def evaluate(obs: Observation, cfg: HypercareConfig) -> list[Finding]:
    """The round's findings, most urgent first. A latency spike and a queue backlog are MONITOR rows of the rollback
    matrix, never a failure; a payout failure rate over the limit is the runbook's rollback trigger."""
    out: list[Finding] = []
    if obs.payouts is not None and obs.payouts.exceeds(cfg.payout_failure_rate_max):
        out.append(Finding("payout_failure_rate", FAIL, f"payout failure rate {obs.payouts.describe()} is over "
                           f"{cfg.payout_failure_rate_max:.0%}", "payout_failure_rate"))
    if obs.invariants_broken or obs.wallet_mismatches:
        what = [f"{name}: {n} row(s)" for name, n in obs.invariants_broken.items()] + obs.wallet_mismatches
        out.append(Finding("ledger_recon", FAIL, "ledger reconciliation broken: " + "; ".join(what),
                           "ledger_invariant_breach"))
    if obs.stuck:
        shown = ", ".join(i.describe() for i in obs.stuck[:5])
        out.append(Finding("stuck_jobs", FAIL, f"{len(obs.stuck)} finance job(s) stuck over {cfg.stuck_minutes:g} "
                           f"min: {shown}"))
    rate = obs.window.rate if obs.window else None
    if obs.window is not None and rate is not None and rate > cfg.error_rate_max:
        out.append(Finding("error_rate", FAIL, f"5xx rate {rate:.1%} ({obs.window.errors:g} of "
                           f"{obs.window.total:g} requests in {obs.window_s or 0:.1f} s) is over "
                           f"{cfg.error_rate_max:.1%}"))
    pattern = re.compile(cfg.payout_handler_pattern) if cfg.payout_handler_pattern else None
    payout_5xx = {h: n for h, n in obs.handlers_5xx.items() if n > 0 and pattern and pattern.search(h)}
    if payout_5xx:
        shown = ", ".join(f"{h} ({n:g})" for h, n in sorted(payout_5xx.items()))
        out.append(Finding("error_rate", FAIL, f"payout/withdraw routes answered 5xx: {shown}",
                           "payout_withdraw_http_error"))
    if obs.p95_s is not None and obs.p95_s > cfg.latency_p95_max_s:
        out.append(Finding("latency", MONITOR, f"latency p95 {obs.p95_s:.3f} s over {cfg.latency_p95_max_s:g} s "
                           f"({obs.latency_samples:g} requests)", "latency_spike"))
    if obs.backlog:
        shown = ", ".join(i.describe() for i in obs.backlog[:5])
        out.append(Finding("queue_backlog", MONITOR, f"{len(obs.backlog)} withdrawal(s) waiting longer than the "
                           f"{cfg.backlog_sla_minutes:g} min SLA: {shown}", "queue_backlog"))
    for signal, why in obs.unavailable.items():
        http_error = re.search(r"-> (404|5\d\d)\b", why) is not None and signal == "withdrawals"
        out.append(Finding("signals", FAIL, f"{signal} unavailable: {why}",
                           "payout_withdraw_http_error" if http_error else None))
    return out


def round_summary(obs: Observation, findings: Sequence[Finding]) -> dict[str, Any]:
    """The compact form a round keeps in the cutover record (hc_first_6h_watch's evidence `rounds`)."""
    return {
        "at": iso(obs.at),
        "ok": not any(f.severity == FAIL for f in findings),
        "triggers": sorted({f.trigger for f in findings if f.trigger}),
        "failures": [f.message[:200] for f in findings if f.severity == FAIL][:5],
        "error_rate": obs.window.rate if obs.window else None,
        "p95_s": obs.p95_s,
        "payout_failure_rate": obs.payouts.rate if obs.payouts else None,
        "backlog": len(obs.backlog),
        "stuck": len(obs.stuck),
    }


# -- across rounds: 72 hours stable ---------------------------------------------------------------------------------
def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def clean(summary: Mapping[str, Any]) -> bool:
    return bool(summary.get("ok")) and not summary.get("triggers")


@dataclass(frozen=True)
class Stability:
    verdict: str  # PASS | FAIL | OPEN
    message: str
    clean_hours: float = 0.0
    clean_rounds: int = 0


def stability(rounds: Sequence[Mapping[str, Any]], *, hours: float = 72.0, max_gap_hours: float = 8.0
              ) -> Stability:
    """PASS when the latest clean rounds (no failure, no trigger) run back unbroken over at least `hours`.

    FAIL when the latest round failed (the platform is not stable now). OPEN otherwise: a clean streak shorter than
    `hours` because hypercare has not lasted that long yet, or a trigger (a MONITOR row included) or a failure
    restarted the clock, or a gap between rounds longer than `max_gap_hours` (the routine's widest spacing) left
    time unwatched.
    """
    dated = sorted(((ts, r) for r in rounds if (ts := parse_time(r.get("at"))) is not None), key=lambda p: p[0])
    if not dated:
        return Stability("OPEN", "no hypercare watch round on record for this release")
    latest_at, latest = dated[-1]
    if not latest.get("ok"):
        why = "; ".join([*latest.get("failures", []), *(f"trigger {t}" for t in latest.get("triggers", []))])
        return Stability("FAIL", f"not stable: the latest watch round ({iso(latest_at)}) found {why or 'a problem'}")
    if latest.get("triggers"):
        return Stability("OPEN", f"the latest watch round ({iso(latest_at)}) observed "
                         f"{', '.join(latest['triggers'])}: the 72 h clock restarts after it")
    start_at, streak, broke = latest_at, 1, ""
    for (ts, r), next_ts in zip(reversed(dated[:-1]), reversed([t for t, _ in dated[1:]]), strict=True):
        gap_h = (next_ts - ts).total_seconds() / 3600
        if gap_h > max_gap_hours:
            broke = f"; the clock restarted after a {gap_h:.1f} h gap without a watch round (after {iso(ts)})"
            break
        if not clean(r):
            rows = ", ".join(r.get("triggers") or []) or "FAIL"
            broke = f"; the clock restarted after the round at {iso(ts)} ({rows})"
            break
        start_at, streak = ts, streak + 1
    span_h = (latest_at - start_at).total_seconds() / 3600
    if span_h >= hours:
        return Stability("PASS", f"stable: {streak} clean watch rounds over {span_h:.1f} h since {iso(start_at)}",
                         span_h, streak)
    return Stability("OPEN", f"stable so far for {span_h:.1f} h of {hours:g} h ({streak} clean watch round(s) since "
                     f"{iso(start_at)}){broke}; keep the hypercare routine running", span_h, streak)


def next_check_minutes(hours_since_start: float) -> int | None:
    """The runbook's cadence: every 30 min in 0-6 h, hourly in 6-24 h, three times a day in 24-72 h; then done."""
    if hours_since_start < 6:
        return 30
    if hours_since_start < 24:
        return 60
    if hours_since_start < 72:
        return 8 * 60
    return None
# -- the control report (checklist "24-hour control report": summary + metrics + actions) ----------------------------

_TEXT: dict[str, tuple[str, str]] = {  # key: (en, tr)
    "first": ("T+60 first hypercare report", "T+60 ilk hypercare raporu"),
    "nth": ("Hypercare control report #{n}", "Hypercare kontrol raporu #{n}"),
    "summary": ("Summary", "Özet"), "metrics": ("Metrics (this watch round)", "Metrikler (bu izleme turu)"),
    "rows": ("Rollback matrix rows observed", "Gözlenen rollback matrisi satırları"),
    "actions": ("Actions", "Aksiyonlar"), "rounds": ("Watch rounds on record (latest {n})",
                                                   "Kayıtlı izleme turları (son {n})"),
    "release": ("Release SHA", "Release SHA"), "target": ("Target", "Hedef"),
    "generated": ("Generated (UTC)", "Oluşturulma (UTC)"), "reference": ("T-0 reference", "T-0 referansı"),
    "covered": ("Hours covered", "Kapsanan saat"), "cover24": ("24-hour coverage", "24 saat kapsamı"),
    "status": ("Status", "Durum"), "stable": ("72 hours stable", "72 saat stabil"), "signal": ("Signal", "Sinyal"),
    "value": ("Value", "Değer"), "limit": ("Threshold", "Eşik"), "result": ("Result", "Sonuç"),
    "at": ("At", "Zaman"), "triggers": ("Triggers", "Tetikleyiciler"), "none": ("none", "yok"),
    "yes": ("yes", "evet"), "no": ("no", "hayır"), "OK": ("OK", "OK"),
    "ACTION": ("ACTION REQUIRED", "AKSİYON GEREKLİ"), "WATCH": ("MONITOR", "İZLE"),
    "no_action": ("No action: continue the routine.", "Aksiyon yok: rutine devam."),
    "next": ("Next watch round in {n} min (runbook cadence).", "Sonraki izleme turu {n} dk sonra (runbook sıklığı)."),
    "done": ("72 h routine complete.", "72 saatlik rutin tamamlandı."),
    "decide": ("IC decides within 5 minutes (by {at}) on {row}: {msg}",
               "IC 5 dakika içinde ({at}'e kadar) {row} için karar verir: {msg}"),
    "fix": ("Investigate and fix: {msg}", "İncele ve düzelt: {msg}"),
    "watch": ("Monitor (hypercare): {msg}", "İzle (hypercare): {msg}"),
    "m_5xx": ("5xx rate", "5xx oranı"), "m_5xx_all": ("5xx rate since start", "Başlangıçtan beri 5xx oranı"),
    "m_p95": ("latency p95", "gecikme p95"), "m_backlog": ("withdrawals over SLA", "SLA'yı aşan çekimler"),
    "m_stuck": ("stuck payouts", "takılı payout'lar"), "m_payout": ("payout failure rate", "payout hata oranı"),
    "m_recon": ("ledger recon", "ledger mutabakatı"),
}


def text(lang: str) -> dict[str, str]:
    """The report's wording in `lang` (tr or en)."""
    i = 1 if lang == "tr" else 0
    return {key: pair[i] for key, pair in _TEXT.items()}


def _pct(rate: float | None) -> str:
    return "no data" if rate is None else f"{rate:.2%}"


def metric_rows(obs: Observation, findings: Sequence[Finding], cfg: HypercareConfig, lang: str = "en"
                ) -> list[tuple[str, ...]]:
    """(signal, value, threshold, result) for the report's metrics table."""
    t, bad = text(lang), {f.check: f.severity for f in findings}
    w = obs.window

    def res(check: str, signal: str | None = None) -> str:
        return "N/A" if signal in obs.unavailable else bad.get(check, "OK")

    recon = (f"{len(obs.invariants_checked)} invariant(s), {len(obs.wallets_sampled)} wallet(s) sampled, "
             f"{len(obs.invariants_broken) + len(obs.wallet_mismatches)} broken")
    return [
        (t["m_5xx"], f"{_pct(w.rate if w else None)} ({w.errors:g}/{w.total:g} in {obs.window_s or 0:.1f} s)"
         if w else "-", f"<= {cfg.error_rate_max:.1%}", res("error_rate", "metrics")),
        (t["m_5xx_all"], f"{_pct(obs.cumulative.rate)}" if obs.cumulative else "-", "-", "-"),
        (t["m_p95"], f"{obs.p95_s:.3f} s ({obs.latency_samples:g} requests)" if obs.p95_s is not None else
         "no data", f"<= {cfg.latency_p95_max_s:g} s", res("latency", "metrics")),
        (t["m_backlog"], str(len(obs.backlog)), f"{cfg.backlog_sla_minutes:g} min",
         res("queue_backlog", "withdrawals")),
        (t["m_stuck"], str(len(obs.stuck)), f"{cfg.stuck_minutes:g} min", res("stuck_jobs", "withdrawals")),
        (t["m_payout"], obs.payouts.describe() if obs.payouts else "-",
         f"<= {cfg.payout_failure_rate_max:.0%}", res("payout_failure_rate", "withdrawals")),
        (t["m_recon"], recon, "0 broken", res("ledger_recon", "database")),
    ]


def report_actions(findings: Sequence[Finding], observed_at: datetime, hours_since_start: float,
                   lang: str = "en") -> list[str]:
    t = text(lang)
    decide_by = iso(observed_at + timedelta(minutes=5))
    out: list[str] = []
    for f in findings:
        if f.severity == FAIL and f.trigger:
            out.append(t["decide"].format(at=decide_by, row=f.trigger, msg=f.message))
        else:
            out.append(t["fix" if f.severity == FAIL else "watch"].format(msg=f.message))
    if not findings:
        out.append(t["no_action"])
    nxt = next_check_minutes(hours_since_start)
    out.append(t["next"].format(n=nxt) if nxt else t["done"])
    return out


def render_report(*, lang: str, number: int, release_sha: str | None, target: str, generated_at: datetime,
                  reference: datetime, obs: Observation, findings: Sequence[Finding], cfg: HypercareConfig,
                  rounds: Sequence[Mapping[str, Any]], stable: Stability) -> str:
    t = text(lang)
    hours = max(0.0, (generated_at - reference).total_seconds() / 3600)
    status = ("ACTION" if any(f.severity == FAIL for f in findings) else "WATCH" if findings else "OK")
    title = t["first"] if number == 1 else t["nth"].format(n=number)
    lines = [f"# {title} — T+{hours:.1f} h", "", f"## {t['summary']}", "", "| | |", "|---|---|",
             f"| {t['status']} | **{t[status]}** |", f"| {t['release']} | `{release_sha or '-'}` |",
             f"| {t['target']} | {target} |", f"| {t['generated']} | {iso(generated_at)} |",
             f"| {t['reference']} | {iso(reference)} |", f"| {t['covered']} | {hours:.1f} |",
             f"| {t['cover24']} | {t['yes'] if hours >= 24 else t['no']} |",
             f"| {t['stable']} | {stable.verdict}: {stable.message} |", "", f"## {t['metrics']}", "",
             f"| {t['signal']} | {t['value']} | {t['limit']} | {t['result']} |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in metric_rows(obs, findings, cfg, lang)]
    lines += [f"- {signal}: {why}" for signal, why in obs.unavailable.items()]
    rows = sorted({f.trigger for f in findings if f.trigger})
    lines += ["", f"## {t['rows']}", "", *([f"- `{r}`" for r in rows] or [f"- {t['none']}"]), "",
              f"## {t['actions']}", ""]
    lines += [f"- {a}" for a in report_actions(findings, obs.at, hours, lang)]
    recent = list(rounds)[-12:]
    lines += ["", f"## {t['rounds'].format(n=len(recent))}", "", f"| {t['at']} | {t['result']} | {t['triggers']} |",
              "|---|---|---|"]
    lines += [f"| {r.get('at')} | {'PASS' if r.get('ok') else 'FAIL'} | {', '.join(r.get('triggers') or []) or '-'} |"
              for r in recent]
    return "\n".join(lines) + "\n"
