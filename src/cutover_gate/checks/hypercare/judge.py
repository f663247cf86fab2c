"""Hypercare judgement: one watch round's findings, and the compact summary the record keeps of it.

What a round observed is an `Observation` (gathered by checks/hypercare/watch.py); `evaluate` turns it into findings,
most urgent first. Across rounds (72 h stable, the first hours after T-0) see checks/hypercare/rounds.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import QueueView
from cutover_gate.checks.hypercare.interval import CounterState, Interval
from cutover_gate.checks.hypercare.recon import DailyRecon
from cutover_gate.checks.hypercare.rounds import WatchRound
from cutover_gate.checks.hypercare.signals import ErrorRate, PayoutRate
from cutover_gate.core.catalogue import (
    ROW_LATENCY_SPIKE,
    ROW_LEDGER_INVARIANT_BREACH,
    ROW_PAYOUT_FAILURE_RATE,
    ROW_PAYOUT_WITHDRAW_HTTP_ERROR,
    ROW_QUEUE_BACKLOG,
)
from cutover_gate.core.clock import iso
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason


@dataclass
class Observation:
    """What one watch round measured. `unavailable` names the signals it could not read, and why (in English, as the
    evidence keeps it; `mark_unavailable` keeps the record beside it, `unavailable_reason` reads it)."""

    at: datetime
    interval: Interval | None = None
    """The 5xx, latency and request counts since the previous round (or the T-0 baseline)."""
    cumulative: ErrorRate | None = None
    counters: CounterState | None = None
    """This round's scrape, the next round's baseline."""
    queue: QueueView | None = None
    invariants_checked: list[str] = field(default_factory=list)
    invariants_broken: dict[str, int] = field(default_factory=dict)
    invariant_scope: dict[str, str] = field(default_factory=dict)
    wallets_sampled: list[str] = field(default_factory=list)
    wallet_mismatches: list[Reason] = field(default_factory=list)
    recon: DailyRecon | None = None
    unavailable: dict[str, str] = field(default_factory=dict)
    unavailable_reasons: dict[str, Reason] = field(default_factory=dict, repr=False, compare=False)

    def mark_unavailable(self, signal: str, why: Reason) -> None:
        """`signal` could not be read, `why` says why."""
        self.unavailable[signal] = why.text()
        self.unavailable_reasons[signal] = why

    def unavailable_reason(self, signal: str) -> Reason:
        """Why `signal` could not be read: its record, else its English as given."""
        return self.unavailable_reasons.get(signal) or Reason.verbatim(self.unavailable[signal])

    @property
    def payouts(self) -> PayoutRate | None:
        return self.queue.payouts if self.queue else None

    @property
    def p95_s(self) -> float | None:
        return self.interval.p95_s if self.interval else None


class Severity(StrEnum):
    """A finding's weight: FAIL fails its check; MONITOR is watched (a MONITOR row of the rollback matrix)."""

    FAIL = "FAIL"
    MONITOR = "MONITOR"


FAIL, MONITOR = Severity.FAIL, Severity.MONITOR


@dataclass(frozen=True)
class Finding:
    """What a round found: `reason` is the catalogue message, `message` its English (what the evidence, the JSON and
    the round's summary keep)."""

    check: str
    severity: Severity
    reason: Reason
    trigger: str | None = None

    @property
    def message(self) -> str:
        return self.reason.text()

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "message": self.message, "trigger": self.trigger,
                "reason": self.reason.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """A finding as `to_json` writes it; one without its record says its English as given."""
        reason = data.get("reason")
        return cls(str(data.get("check", "")), Severity(data.get("severity", FAIL)),
                   Reason.from_json(reason) if reason else Reason.verbatim(str(data.get("message", ""))),
                   data.get("trigger"))


def _interval_findings(obs: Observation, cfg: HypercareConfig) -> list[Finding]:
    iv = obs.interval
    if iv is None:
        return []
    out: list[Finding] = []
    rate = iv.rate
    if rate.rate is not None and rate.rate > cfg.error_rate_max:
        out.append(Finding("error_rate", FAIL, Reason.of(
            N_("5xx rate %(rate)s (%(errors)s of %(total)s requests %(interval)s) is over %(max)s"),
            rate=f"{rate.rate:.1%}", errors=f"{rate.errors:g}", total=f"{rate.total:g}", interval=iv.described(),
            max=f"{cfg.error_rate_max:.1%}")))
    pattern = re.compile(cfg.payout_handler_pattern) if cfg.payout_handler_pattern else None
    payout_5xx = {h: n for h, n in iv.handlers_5xx().items() if pattern and pattern.search(h)}
    if payout_5xx:
        shown = ", ".join(f"{h} ({n:g})" for h, n in sorted(payout_5xx.items()))
        out.append(Finding("error_rate", FAIL, Reason.of(N_("payout/withdraw routes answered 5xx %(interval)s: "
                                                            "%(routes)s"), interval=iv.described(), routes=shown),
                           ROW_PAYOUT_WITHDRAW_HTTP_ERROR))
    if iv.p95_s is not None and iv.p95_s > cfg.latency_p95_max_s:
        out.append(Finding("latency", MONITOR, Reason.of(
            N_("latency p95 %(p95)s s over %(max)s s (%(count)s requests %(interval)s)"), p95=f"{iv.p95_s:.3f}",
            max=f"{cfg.latency_p95_max_s:g}", count=f"{iv.observations:g}", interval=iv.described()),
            ROW_LATENCY_SPIKE))
    if iv.reset:
        out.append(Finding("restart", MONITOR, Reason.of(N_("the platform restarted %(interval)s"),
                                                         interval=iv.described())))
    return out


def _queue_findings(queue: QueueView | None, cfg: HypercareConfig) -> list[Finding]:
    if queue is None:
        return []
    out: list[Finding] = []
    if queue.payouts is not None and queue.payouts.exceeds(cfg.payout_failure_rate_max):
        out.append(Finding("payout_failure_rate", FAIL, Reason.of(
            N_("payout failure rate %(rate)s is over %(max)s"), rate=queue.payouts.described(),
            max=f"{cfg.payout_failure_rate_max:.0%}"), ROW_PAYOUT_FAILURE_RATE))
    stuck = []
    if queue.stuck_payouts.total:
        stuck.append(Reason.of(N_("%(count)s payout(s) stuck over %(minutes)s min: %(items)s"),
                               count=queue.stuck_payouts.total, minutes=f"{cfg.stuck_minutes:g}",
                               items=queue.stuck_payouts.described()))
    if queue.stuck_deposits is not None and queue.stuck_deposits.total:
        stuck.append(Reason.of(N_("%(count)s deposit(s) waiting for their PSP over %(minutes)s min: %(items)s"),
                               count=queue.stuck_deposits.total, minutes=f"{cfg.stuck_deposit_minutes:g}",
                               items=queue.stuck_deposits.described()))
    if stuck:
        out.append(Finding("stuck_jobs", FAIL, Reason.of(N_("stuck finance jobs: %(jobs)s"), jobs=tuple(stuck))))
    if not queue.complete:
        out.append(Finding("signals", FAIL, Reason.of(N_("withdrawals %(note)s"), note=queue.note_reason)))
    return out


def evaluate(obs: Observation, cfg: HypercareConfig) -> list[Finding]:
    """The round's findings, most urgent first. A latency spike and a queue backlog are MONITOR rows of the rollback
    matrix, never a failure; a payout failure rate over the limit is the runbook's rollback trigger."""
    out = _queue_findings(obs.queue, cfg)
    if obs.invariants_broken or obs.wallet_mismatches:
        what = [*(Reason.of(N_("%(name)s: %(rows)s row(s)"), name=name, rows=n)
                  for name, n in obs.invariants_broken.items()), *obs.wallet_mismatches]
        out.append(Finding("ledger_recon", FAIL, Reason.of(N_("ledger reconciliation broken: %(what)s"),
                                                           what=tuple(what)), ROW_LEDGER_INVARIANT_BREACH))
    if obs.recon is not None and (count := obs.recon.difference_count):
        out.append(Finding("daily_recon", FAIL, Reason.of(
            N_("the transactions of the last %(hours)s h do not reconcile with the ledger: %(count)s difference(s): "
               "%(shown)s"), hours=f"{cfg.recon_hours:g}", count=count,
            shown=tuple(obs.recon.difference_reasons()[:5])),
            ROW_LEDGER_INVARIANT_BREACH))
    out += _interval_findings(obs, cfg)
    if obs.queue is not None and obs.queue.backlog.total:
        out.append(Finding("queue_backlog", MONITOR, Reason.of(
            N_("%(count)s withdrawal(s) waiting longer than the %(minutes)s min SLA: %(items)s"),
            count=obs.queue.backlog.total, minutes=f"{cfg.backlog_sla_minutes:g}", items=obs.queue.backlog.described()),
            ROW_QUEUE_BACKLOG))
    for signal, why in obs.unavailable.items():
        http_error = re.search(r"-> (404|5\d\d)\b", why) is not None and signal == "withdrawals"
        out.append(Finding("signals", FAIL, Reason.of(N_("%(signal)s unavailable: %(why)s"), signal=signal,
                                                      why=obs.unavailable_reason(signal)),
                           ROW_PAYOUT_WITHDRAW_HTTP_ERROR if http_error else None))
    order = {FAIL: 0, MONITOR: 1}
    return sorted(out, key=lambda f: order.get(f.severity, 2))


def spike(findings: Sequence[Finding]) -> str | None:
    """The round saw a 5xx spike (over the rate threshold, or on a payout route): what it was, else None."""
    found = [f.message for f in findings if f.check == "error_rate"]
    return "; ".join(found)[:300] if found else None


def round_summary(obs: Observation, findings: Sequence[Finding]) -> WatchRound:
    """The compact form a round keeps in the cutover record (hc_first_6h_watch's evidence `rounds`)."""
    queue = obs.queue
    return WatchRound(
        at=iso(obs.at),
        ok=not any(f.severity is Severity.FAIL for f in findings),
        triggers=sorted({f.trigger for f in findings if f.trigger}),
        failures=[f.message[:200] for f in findings if f.severity is Severity.FAIL][:5],
        failure_reasons=[f.reason.to_json() for f in findings if f.severity is Severity.FAIL][:5] or None,
        error_rate=obs.interval.rate.rate if obs.interval else None,
        p95_s=obs.p95_s,
        payout_failure_rate=obs.payouts.rate if obs.payouts else None,
        backlog=queue.backlog.total if queue else None,
        stuck=(queue.stuck_payouts.total + (queue.stuck_deposits.total if queue.stuck_deposits else 0)
               if queue else None),
        queue=queue.to_json() if queue else None,
        interval=obs.interval.to_json() if obs.interval else None,
        spike=spike(findings),
        restart=obs.interval.reset if obs.interval else None,
        recon=obs.recon.summary() if obs.recon else None,
        counters=obs.counters.to_json() if obs.counters else None,
    )
