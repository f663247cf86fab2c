"""One hypercare watch round with `[metrics] source = "prometheus"`: the 5xx rate, the volume, p95 (and the payout
signals the profile asks) are PromQL queries over the interval since the previous round or the T-0 baseline
instant, evaluated by the server at the round's time; the alerts firing for the target are read too (a mapped one
raises its rollback-matrix row, an unmapped one is listed). The finance queue, the day's reconciliation and the
ledger recon are read as checks/hypercare/watch.py reads them; checks/hypercare/judge.py judges the round as ever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cutover_gate.checks.hypercare import alerting
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.judge import FAIL, MONITOR, Finding, Observation, evaluate
from cutover_gate.checks.hypercare.watch import Round, read_finance
from cutover_gate.config.profile_metrics import Metrics
from cutover_gate.core.catalogue import ROW_PAYOUT_FAILURE_RATE
from cutover_gate.core.clock import utcnow
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database


@dataclass
class PromEvidence:
    """What the round asked Prometheus: each query with its result and evaluation time, the firing alerts."""

    queries: list[dict[str, Any]] = field(default_factory=list)
    firing: list[dict[str, Any]] | str = field(default_factory=list)
    payouts: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"queries": self.queries, "alerts_firing": self.firing, "payouts": self.payouts}


def alert_findings(firing: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """A firing alert the profile maps to a row raises it (MONITOR: the row's own action decides); the rest are
    only listed."""
    return [Finding("alerts", MONITOR, Reason.of(N_("Prometheus alert %(alert)s (mapped to %(row)s)"),
                                                 alert=a["alert"], row=a["row"]), str(a["row"]))
            for a in firing if a.get("row")]


def _payout_findings(measured: prom.Measured, cfg: HypercareConfig) -> list[Finding]:
    rate = measured.payouts
    if rate is None or not rate.exceeds(cfg.payout_failure_rate_max):
        return []
    return [Finding("payout_failure_rate", FAIL, Reason.of(N_("payout failure rate by Prometheus %(rate)s is over "
                                                              "%(max)s"), rate=rate.described(),
                                                           max=f"{cfg.payout_failure_rate_max:.0%}"),
                    ROW_PAYOUT_FAILURE_RATE)]


def take_round(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig, metrics: Metrics,
               api: prom.PromApi | None, *, since: datetime | None, basis: str, unreachable: str | Reason = ""
               ) -> tuple[Round, PromEvidence]:
    """One round. `since` is the newer of the previous round's time and the T-0 baseline instant (None: neither on
    record); `api` None when Prometheus cannot be asked at all (`unreachable` says why)."""
    obs = Observation(at=utcnow())
    seen = PromEvidence()
    extra: list[Finding] = []
    if api is None:
        obs.mark_unavailable("metrics", Reason.of(N_("could not check: %(cause)s"), cause=unreachable))
        seen.firing = "not read"
    else:
        measured = prom.measure(api, metrics, start=since, basis=basis, end=obs.at, min_sample=cfg.payout_min_sample,
                                handler_label=cfg.handler_label)
        obs.interval = measured.interval
        for signal, why in measured.reasons.items():
            obs.mark_unavailable(signal, why)
        seen.queries = list(measured.interval.queries)
        seen.payouts = measured.payouts.describe() if measured.payouts else None
        extra += _payout_findings(measured, cfg)
        if measured.unreachable:
            seen.firing = f"not read: {measured.unreachable}"
        else:
            try:
                seen.firing = alerting.firing(api.alerts(prom.Deadline(metrics.deadline_s)), metrics)
                extra += alert_findings(seen.firing)
            except prom.PromError as exc:
                seen.firing = f"not read: {exc}"
                if metrics.alert_map:  # a row the profile wants raised may be firing unseen
                    obs.mark_unavailable("alerts", Reason.of(N_("could not check: %(cause)s"), cause=exc.reason))
    read_finance(target, token, database, cfg, obs)
    order = {FAIL: 0, MONITOR: 1}
    findings = sorted([*evaluate(obs, cfg), *extra], key=lambda f: order.get(f.severity, 2))
    return (obs, findings), seen
