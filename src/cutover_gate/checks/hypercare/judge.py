"""Hypercare judgement: the profile's thresholds, one watch round's findings, and the 72-hour stability of the
rounds a release has on record (runbook §4 "Hypercare routine (72 h)")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from cutover_gate.checks.hypercare.signals import ErrorRate, PayoutRate, QueueItem
from cutover_gate.core.clock import iso, parse_time


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
