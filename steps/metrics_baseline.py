"""The hypercare baseline T-0 leaves on record: one read-only /metrics scrape at the end of T-0 (the closing canary
report scenario, `t0_canary_report`), kept in that line's evidence as `metrics_baseline`. The first hypercare round
judges the interval from it (the runbook's "no 5xx spike in the first 2 hours (normal baseline)"); a round in the same
run reads it from the session, a later run from the cutover record. A baseline that cannot be taken is recorded
with the reason and fails nothing here: hc_alerting_active is the line for missing metrics.

With `[metrics] source = "prometheus"` the baseline is also an instant (`prometheus_baseline`): the first round's
queries run over the range since it. The alerts firing for the target at that instant are evidence; one the
profile's `alert_map` maps raises its rollback-matrix row, an unmapped one is listed. One mapped to an immediate
rollback row also fails the line, once the baseline is kept: the platform is failing as T-0 ends. Prometheus not
answering here is recorded, never a failure: the alerting lines and the rounds fail closed on it."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import then

from cutover_gate.checks.hypercare import alerting
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare.judge import Observation
from cutover_gate.checks.hypercare.watch import config, counters
from cutover_gate.core.catalogue import TRIGGERS_BY_ID, Action
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient
from steps.ahead import METRICS_BASELINE, READ_AHEAD_AGE_S, metrics_scrape

BASELINE_KEY = "metrics_baseline"
PROMETHEUS_KEY = "prometheus_baseline"


@pytest.fixture(scope="session")
def metrics_baseline_cache() -> dict[str, Any]:
    """The baseline this run's T-0 took, for a hypercare round of the same run (the record is written at its end):
    "baseline" the scrape's CounterState, "instant" the Prometheus baseline's time."""
    return {}


def prometheus_baseline(gate: Gate, target: TargetClient, cache: dict[str, Any], evidence: Evidence) -> list[str]:
    """The instant, and the firing alerts as evidence; returns those whose row says roll back at once."""
    metrics = target.profile.model.metrics
    now = utcnow()
    cache["instant"] = now
    seen: dict[str, Any] = {"at": iso(now)}
    try:
        api = prom.connect(gate.settings, metrics)
        try:
            alerts = alerting.firing(api.alerts(prom.Deadline(metrics.deadline_s)), metrics)
        finally:
            api.close()
    except prom.PromError as exc:
        seen["alerts_firing"] = f"not read: {exc}"
        evidence.put(PROMETHEUS_KEY, seen)
        return []
    seen["alerts_firing"] = alerts
    evidence.put(PROMETHEUS_KEY, seen)
    for alert in alerts:
        if alert["row"]:
            evidence.trigger(alert["row"], Reason.of(N_("at T-0 Prometheus alert %(alert)s (mapped to %(row)s)"),
                                                     alert=alert["alert"], row=alert["row"]))
    return [f"{a['alert']} ({a['row']})" for a in alerts
            if a["row"] and TRIGGERS_BY_ID[a["row"]].action is Action.IMMEDIATE_ROLLBACK]


@then("the metrics are kept as the hypercare baseline")
@then("metrikler hypercare baseline'ı olarak saklanır")
def _(gate: Gate, target: TargetClient, metrics_baseline_cache: dict[str, Any], evidence: Evidence) -> None:
    firing = (prometheus_baseline(gate, target, metrics_baseline_cache, evidence)
              if target.profile.model.metrics.source == "prometheus" else [])
    _scrape_baseline(target, metrics_baseline_cache, evidence)  # kept first: the rounds after a rollback need it
    if firing:
        raise CheckFailed(N_("at T-0 Prometheus has alerts firing for the target that roll back at once: %(alerts)s"),
                          alerts=", ".join(firing))


def _scrape_baseline(target: TargetClient, metrics_baseline_cache: dict[str, Any], evidence: Evidence) -> None:
    obs = Observation(at=utcnow())

    def scraped() -> Response:  # started ahead beside the ledger's reads (steps/ledger.py), else asked now
        resp = target.fresh(METRICS_BASELINE, metrics_scrape(target), max_age_s=READ_AHEAD_AGE_S)
        evidence.http(resp.exchange.to_json())
        return resp

    try:
        state = counters(target, config(target), obs, scraped)
    except CheckFailed as exc:  # the target stopped answering: the scenario's own checks say so
        obs.mark_unavailable("metrics", exc.reason)
        state = None
    if state is None:
        evidence.put(BASELINE_KEY, {"at": iso(obs.at), "unavailable": "; ".join(obs.unavailable.values())})
        return
    metrics_baseline_cache["baseline"] = state
    evidence.put(BASELINE_KEY, state.to_json())
