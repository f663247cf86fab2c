"""The hypercare control report (checklist "24-hour control report": summary + metrics + actions).

Python derives the values (metric rows, the actions due, the cadence); the wording is in the templates
`templates/hypercare_report.md.j2` and `hypercare_phrases.j2` (the macros for sentences used outside the
document too: the actions and the section headings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.judge import FAIL, Finding, Observation
from cutover_gate.checks.hypercare.rounds import Stability, WatchRound, next_check_minutes
from cutover_gate.core.catalogue import DECIDE_WITHIN
from cutover_gate.core.clock import iso
from cutover_gate.reports.render import environment

SECTIONS = ("summary", "metrics", "actions")


def _pct(rate: float | None) -> str:
    return "no data" if rate is None else f"{rate:.2%}"


def _phrases(lang: str) -> Any:
    return environment(lang).get_template("hypercare_phrases.j2").module


def heading(lang: str, section: str) -> str:
    return str(_phrases(lang).heading(section)).strip()


def metric_rows(obs: Observation, findings: Sequence[Finding], cfg: HypercareConfig) -> list[dict[str, str]]:
    """The metrics table: signal key, value, threshold and result of each signal of the round."""
    bad: dict[str, str] = {}
    for f in findings:
        bad.setdefault(f.check, f.severity)
    iv, queue, recon = obs.interval, obs.queue, obs.recon

    def res(check: str, signal: str | None = None) -> str:
        return "N/A" if signal in obs.unavailable else bad.get(check, "OK")

    invariants = (f"{len(obs.invariants_checked)} invariant(s), {len(obs.wallets_sampled)} wallet(s) sampled, "
                  f"{len(obs.invariants_broken) + len(obs.wallet_mismatches)} broken")
    rate = iv.rate if iv else None
    stuck = "-"
    if queue is not None:
        deposits = f", {queue.stuck_deposits.total} deposit(s)" if queue.stuck_deposits is not None else ""
        stuck = f"{queue.stuck_payouts.total} payout(s){deposits}"
    rows = [
        ("interval", iv.describe() if iv else "-", "-", "RESTART" if iv and iv.reset else "-"),
        ("5xx_rate", f"{_pct(rate.rate)} ({rate.errors:g}/{rate.total:g})" if rate else "-",
         f"<= {cfg.error_rate_max:.1%}", res("error_rate", "metrics")),
        ("5xx_rate_since_start", f"{_pct(obs.cumulative.rate)}" if obs.cumulative else "-", "-", "-"),
        ("latency_p95", f"{iv.p95_s:.3f} s ({iv.observations:g} requests)" if iv and iv.p95_s is not None else
         "no data", f"<= {cfg.latency_p95_max_s:g} s", res("latency", "metrics")),
        ("queue_read", (queue.note or queue.source) if queue else "-", "complete",
         ("OK" if queue.complete else "INCOMPLETE") if queue else "N/A"),
        ("backlog", str(queue.backlog.total) if queue else "-", f"{cfg.backlog_sla_minutes:g} min",
         res("queue_backlog", "withdrawals")),
        ("stuck", stuck, f"{cfg.stuck_minutes:g} / {cfg.stuck_deposit_minutes:g} min",
         res("stuck_jobs", "withdrawals")),
        ("payout_failure_rate", obs.payouts.describe() if obs.payouts else "-",
         f"<= {cfg.payout_failure_rate_max:.0%}", res("payout_failure_rate", "withdrawals")),
        ("ledger_recon", invariants, "0 broken", res("ledger_recon", "database")),
        ("daily_recon", f"{recon.difference_count} difference(s) in {sum(g.count for g in recon.groups)} "
         f"transaction(s) of the last {cfg.recon_hours:g} h" if recon else "-", "0 differences",
         res("daily_recon", "recon") if recon else "N/A"),
    ]
    return [dict(zip(("signal", "value", "threshold", "result"), row, strict=True)) for row in rows]


def _actions(findings: Sequence[Finding], observed_at: datetime, hours_since_start: float, lang: str = "en"
             ) -> list[dict[str, Any]]:
    decide_by = iso(observed_at + DECIDE_WITHIN)
    out: list[dict[str, Any]] = []
    for f in findings:
        kind = ("decide" if f.trigger else "fix") if f.severity is FAIL else "watch"
        # a finding's words in the report's language (one read back without its record: its English as given)
        out.append({"kind": kind, "row": f.trigger, "by": decide_by, "message": f.reason.text(lang)})
    if not findings:
        out.append({"kind": "no_action"})
    nxt = next_check_minutes(hours_since_start)
    out.append({"kind": "next", "minutes": nxt} if nxt else {"kind": "done"})
    return out


def report_actions(findings: Sequence[Finding], observed_at: datetime, hours_since_start: float,
                   lang: str = "en") -> list[str]:
    phrases = _phrases(lang)
    return [str(phrases.action(a)).strip() for a in _actions(findings, observed_at, hours_since_start, lang)]


def status_of(findings: Sequence[Finding]) -> str:
    return "ACTION" if any(f.severity is FAIL for f in findings) else "WATCH" if findings else "OK"


def render_report(*, lang: str, number: int, release_sha: str | None, target: str, generated_at: datetime,
                  reference: datetime, obs: Observation, findings: Sequence[Finding], cfg: HypercareConfig,
                  rounds: Sequence[WatchRound], stable: Stability) -> str:
    hours = max(0.0, (generated_at - reference).total_seconds() / 3600)
    view = {
        "number": number, "hours": hours, "status": status_of(findings), "release_sha": release_sha,
        "target": target, "generated_at": iso(generated_at), "reference": iso(reference),
        "stable": {"verdict": stable.verdict, "message": stable.reason.text(lang)},
        "metrics": metric_rows(obs, findings, cfg),
        "unavailable": {signal: obs.unavailable_reason(signal).text(lang) for signal in obs.unavailable},
        "rows": sorted({f.trigger for f in findings if f.trigger}),
        "actions": report_actions(findings, obs.at, hours, lang), "rounds": [r.to_json() for r in rounds[-12:]],
    }
    return environment(lang).get_template("hypercare_report.md.j2").render(view)
