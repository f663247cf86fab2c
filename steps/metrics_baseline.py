"""The hypercare baseline T-0 leaves on record: one read-only /metrics scrape at the end of T-0 (the closing canary
report scenario, `t0_canary_report`), kept in that line's evidence as `metrics_baseline`. The first hypercare round
judges the interval from it (the runbook's "no 5xx spike in the first 2 hours (normal baseline)"); a round in the same
run reads it from the session, a later run from the cutover record. A baseline that cannot be taken is recorded
with the reason and fails nothing here: hc_alerting_active is the line for missing metrics."""

from __future__ import annotations

import pytest
from pytest_bdd import then

from cutover_gate.checks.hypercare.interval import CounterState
from cutover_gate.checks.hypercare.judge import Observation
from cutover_gate.checks.hypercare.watch import config, counters
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.client import TargetClient

BASELINE_KEY = "metrics_baseline"


@pytest.fixture(scope="session")
def metrics_baseline_cache() -> dict[str, CounterState]:
    """The baseline this run's T-0 took, for a hypercare round of the same run (the record is written at its end)."""
    return {}


@then("the metrics are kept as the hypercare baseline")
@then("metrikler hypercare baseline'ı olarak saklanır")
def _(target: TargetClient, metrics_baseline_cache: dict[str, CounterState], evidence: Evidence) -> None:
    obs = Observation(at=utcnow())
    try:
        state = counters(target, config(target), obs)
    except CheckFailed as exc:  # the target stopped answering: the scenario's own checks say so
        obs.unavailable["metrics"] = str(exc)
        state = None
    if state is None:
        evidence.put(BASELINE_KEY, {"at": iso(obs.at), "unavailable": "; ".join(obs.unavailable.values())})
        return
    metrics_baseline_cache["baseline"] = state
    evidence.put(BASELINE_KEY, state.to_json())
