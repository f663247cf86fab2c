"""Hypercare (runbook §4 "Hypercare routine (72 h)", checklist section 5): one watch round per run.

A watch round is gathered by cutover_gate.checks.hypercare.watch (/metrics against the previous round or the T-0
baseline, the finance queue and the day's reconciliation in the database, the ledger invariants) and judged by
checks.hypercare.judge; the control report is reports/hypercare.py, the daily reconciliation report
steps/reconciliation.py, the alerting line steps/hypercare_alerting.py. A round is taken once per process and shared
by the scenarios that need it. With `[metrics] source = "prometheus"` the round's signals are PromQL queries over the
interval since the previous round's time or the T-0 baseline instant (checks.hypercare.promwatch), and the alerts
firing for the target are its evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks.hypercare import interval as iv
from cutover_gate.checks.hypercare import judge, promwatch, rounds
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.interval import CounterState
from cutover_gate.checks.hypercare.watch import Round, config, take_round
from cutover_gate.core.catalogue import HC_CONTROL_REPORT_24H, HC_FIRST_6H_WATCH, T0_CANARY_REPORT
from cutover_gate.core.clock import iso, parse_iso, parse_time, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.reports import hypercare as report
from cutover_gate.reports.writer import write_json, write_text
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database
from steps.metrics_baseline import BASELINE_KEY, PROMETHEUS_KEY

WATCH_LINE = HC_FIRST_6H_WATCH
REPORT_LINE = HC_CONTROL_REPORT_24H
BASELINE_LINE = T0_CANARY_REPORT
REPORT_MD, REPORT_JSON = "hypercare_report.md", "hypercare_report.json"

@pytest.fixture(scope="session")
def hypercare_round_cache() -> dict[str, Any]:
    """One watch round per process: the watch, the report and the stability scenarios read the same observation
    ("round"; "prometheus": what the round asked Prometheus, with that source)."""
    return {}


# -- the record of this release: earlier rounds and reports -----------------------------------------------------------
def release_record(gate: Gate) -> dict[str, Any]:
    sha = gate.settings.release_sha
    if not sha:
        return {}
    try:
        return dict(CutoverRecord.load(gate.settings.reports_dir).releases.get(sha, {}))
    except RecordError as exc:
        raise CheckFailed(Reason.verbatim(str(exc))) from None


def line_evidence(rel: dict[str, Any], line: str) -> dict[str, Any]:
    return dict(rel.get("lines", {}).get(line, {}).get("evidence", {}))


@given("the hypercare record of this release", target_fixture="hypercare_history")
@given("bu release'in hypercare kaydı", target_fixture="hypercare_history")
def _(gate: Gate, evidence: Evidence) -> dict[str, Any]:
    rel = release_record(gate)
    evidence.put("rounds_on_record", len(line_evidence(rel, WATCH_LINE).get("rounds", [])))
    return rel


@given("the watch rounds on record for this release are carried forward", target_fixture="hypercare_history")
@given("bu release'in kayıtlı izleme turları devralınır", target_fixture="hypercare_history")
def _(gate: Gate, evidence: Evidence) -> dict[str, Any]:
    rel = release_record(gate)
    # kept even if this round never happens: the record replaces a line's evidence with the latest run's
    evidence.put("rounds", [r.to_json() for r in rounds_on_record(rel)][-rounds.MAX_ROUNDS:])
    return rel


def rounds_on_record(rel: dict[str, Any]) -> list[rounds.WatchRound]:
    return rounds.on_record(line_evidence(rel, WATCH_LINE).get("rounds"))


def previous_state(history: dict[str, Any]) -> CounterState | None:
    """The latest counter state the record keeps of this release's rounds (the next interval starts there)."""
    states = [s for r in rounds_on_record(history) if (s := CounterState.from_json(r.counters)) is not None]
    return max(states, key=lambda s: s.at, default=None)


def baseline_state(history: dict[str, Any], cache: dict[str, Any]) -> CounterState | None:
    """The T-0 baseline: this run's if T-0 ran in it, else the one on record for this release."""
    return cache.get("baseline") or CounterState.from_json(line_evidence(history, BASELINE_LINE).get(BASELINE_KEY))


def since_instant(history: dict[str, Any], cache: dict[str, Any], now: datetime) -> tuple[datetime | None, str]:
    """Where a Prometheus round's range starts: the newer of the latest round's time on record and the T-0 baseline
    instant (this run's, else the one on record; a scrape baseline's time serves too), older than now."""
    t0 = line_evidence(history, BASELINE_LINE)
    instant = cache.get("instant") or parse_time((t0.get(PROMETHEUS_KEY) or {}).get("at")) \
        or parse_time((t0.get(BASELINE_KEY) or {}).get("at"))
    kept = [ts for r in rounds_on_record(history) if (ts := parse_time(r.at)) is not None]
    known = [(ts, basis) for ts, basis in ((max(kept, default=None), iv.PREVIOUS), (instant, iv.BASELINE))
             if ts is not None and ts < now]
    return max(known, key=lambda pair: pair[0], default=(None, iv.SINCE_START))


def prometheus_round(gate: Gate, target: TargetClient, admin_token: Secret, database: Database,
                     history: dict[str, Any], baseline: dict[str, Any]) -> tuple[Round, promwatch.PromEvidence]:
    metrics = target.profile.model.metrics
    since, basis = since_instant(history, baseline, utcnow())
    api, why = None, Reason("")
    try:
        api = prom.connect(gate.settings, metrics)
    except prom.PromError as exc:
        why = exc.reason
    try:
        return promwatch.take_round(target, admin_token, database, config(target), metrics, api, since=since,
                                    basis=basis, unreachable=why)
    finally:
        if api is not None:
            api.close()


def summary_of(cache: dict[str, Any], watch_round: Round) -> rounds.WatchRound:
    """The round's compact summary for the record, with the alerts firing when Prometheus was asked."""
    summary = judge.round_summary(*watch_round)
    seen = cache.get("prometheus")
    if seen is not None:
        summary.alerts_firing = [a["alert"] for a in seen.firing] if isinstance(seen.firing, list) else seen.firing
    return summary


@when("I take a hypercare watch round", target_fixture="watch_round")
@when("bir hypercare izleme turu yaparım", target_fixture="watch_round")
def _(gate: Gate, target: TargetClient, admin_token: Secret, database: Database, hypercare_round_cache: dict[str, Any],
      hypercare_history: dict[str, Any], metrics_baseline_cache: dict[str, Any], evidence: Evidence) -> Round:
    if "round" not in hypercare_round_cache:
        if target.profile.model.metrics.source == "prometheus":
            hypercare_round_cache["round"], hypercare_round_cache["prometheus"] = prometheus_round(
                gate, target, admin_token, database, hypercare_history, metrics_baseline_cache)
        else:
            hypercare_round_cache["round"] = take_round(
                target, admin_token, database, config(target), previous=previous_state(hypercare_history),
                baseline=baseline_state(hypercare_history, metrics_baseline_cache))
    obs, findings = hypercare_round_cache["round"]
    evidence.put("round", summary_of(hypercare_round_cache, (obs, findings)).to_json())
    return obs, findings


# -- hc_first_6h_watch -----------------------------------------------------------------------------------------------
def rounds_with(history: dict[str, Any], summary: rounds.WatchRound, cfg: HypercareConfig
                ) -> list[rounds.WatchRound]:
    return rounds.kept(rounds_on_record(history), summary, states_kept=cfg.metrics_rounds_kept)


@then("the round is kept in the hypercare record")
@then("tur hypercare kaydına eklenir")
def _(watch_round: Round, hypercare_history: dict[str, Any], target: TargetClient, evidence: Evidence,
      hypercare_round_cache: dict[str, Any]) -> None:
    obs, findings = watch_round
    cfg = config(target)
    evidence.put("rounds", [r.to_json() for r in rounds_with(hypercare_history, summary_of(hypercare_round_cache,
                                                                                            watch_round), cfg)])
    if (seen := hypercare_round_cache.get("prometheus")) is not None:
        evidence.put("prometheus", seen.queries)
        evidence.put("alerts_firing", seen.firing)
        evidence.put("prometheus_payouts", seen.payouts)
    evidence.put("thresholds", {k: v for k, v in asdict(cfg).items()
                                if k.endswith(("_max", "_max_s", "_minutes", "_sample", "_hours", "_percent"))})
    evidence.put("findings", [f.to_json() for f in findings])
    evidence.put("interval", obs.interval.describe() if obs.interval else None)
    evidence.put("queue", obs.queue.to_json() if obs.queue else None)
    evidence.put("payouts", obs.payouts.describe() if obs.payouts else None)
    if obs.queue is not None:
        evidence.put("backlog", [i.describe() for i in obs.queue.backlog.items])
        evidence.put("stuck", [i.describe() for i in obs.queue.stuck_payouts.items])
        evidence.put("stuck_deposits", [i.describe() for i in obs.queue.stuck_deposits.items]
                     if obs.queue.stuck_deposits is not None else None)
    evidence.put("wallets_sampled", obs.wallets_sampled)
    evidence.put("invariants_checked", obs.invariants_checked)
    evidence.put("invariant_scope", obs.invariant_scope)
    evidence.put("unavailable", obs.unavailable)


@then("every rollback-matrix row the round observed is raised")
@then("turun gözlediği her rollback matrisi satırı bildirilir")
def _(watch_round: Round, evidence: Evidence) -> None:
    for finding in watch_round[1]:
        if finding.trigger:
            evidence.trigger(finding.trigger, finding.reason)


def check_findings(watch_round: Round, *checks: str) -> None:
    failed = [f.reason for f in watch_round[1] if f.check in checks and f.severity is judge.Severity.FAIL]
    if failed:
        raise CheckFailed(Reason.joined(failed))


FINDING_STEPS = (
    ("payout_failure_rate", "the payout failure rate is within the rollback threshold",
     "payout hata oranı rollback eşiğinin içindedir"),
    ("ledger_recon", "the random ledger reconciliation holds", "rastgele ledger mutabakatı tutar"),
    ("stuck_jobs", "no finance job is stuck", "takılı kalmış finans işi yoktur"),
    ("error_rate", "the 5xx rate is under its threshold", "5xx oranı eşiğinin altındadır"),
    ("signals", "every signal of the round was read", "turun tüm sinyalleri okundu"),
)
"""The round's steps that pass when none of one check's findings fails: (check, English, Turkish)."""


def _finding_step(check: str) -> Callable[[Round], None]:
    def step(watch_round: Round) -> None:
        check_findings(watch_round, check)
    return step


for _check, _en, _tr in FINDING_STEPS:
    then(_en)(then(_tr)(_finding_step(_check)))


# -- hc_control_report_24h --------------------------------------------------------------------------------------------
def t0_reference(history: dict[str, Any], kept: list[rounds.WatchRound]) -> datetime:
    """T-0: the canary's time on record for this release, else the first watch round."""
    stamps = [line["at"] for lid, line in history.get("lines", {}).items() if lid.startswith("t0_") and line.get("at")]
    first = min(stamps) if stamps else kept[0].at
    return parse_iso(first)


@when("I write the hypercare control report", target_fixture="control_report")
@when("hypercare kontrol raporunu yazarım", target_fixture="control_report")
def _(watch_round: Round, hypercare_history: dict[str, Any], gate: Gate, target: TargetClient,
      evidence: Evidence) -> str:
    obs, findings = watch_round
    cfg, settings = config(target), gate.settings
    kept = rounds_with(hypercare_history, judge.round_summary(obs, findings), cfg)
    number = int(line_evidence(hypercare_history, REPORT_LINE).get("report_number", 0)) + 1
    stable = rounds.stability(kept, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
    now = utcnow()
    reference = t0_reference(hypercare_history, kept)
    text = report.render_report(lang=settings.lang, number=number, release_sha=settings.release_sha,
                                target=settings.target_name, generated_at=now, reference=reference, obs=obs,
                                findings=findings, cfg=cfg, rounds=kept, stable=stable)
    write_text(settings.reports_dir / REPORT_MD, text)
    write_json(settings.reports_dir / REPORT_JSON, {
        "report_number": number, "release_sha": settings.release_sha, "generated_at": iso(now),
        "round": judge.round_summary(obs, findings).to_json(), "findings": [f.to_json() for f in findings],
        "metrics": report.metric_rows(obs, findings, cfg),
        "actions": report.report_actions(findings, obs.at, (now - reference).total_seconds() / 3600, settings.lang),
        "interval": obs.interval.to_json() if obs.interval else None,
        "queue": obs.queue.to_json() if obs.queue else None,
        "stable_72h": stable.to_json(), "unavailable": obs.unavailable})
    evidence.put("report_number", number)
    evidence.put("hours_covered", round(max(0.0, (now - reference).total_seconds() / 3600), 2))
    evidence.put("reference", iso(reference))
    evidence.put("first_report", number == 1)
    evidence.put("hypercare_report", REPORT_MD)
    evidence.put("report_status", {"WATCH": "MONITOR"}.get(status := report.status_of(findings), status))
    return text


@then("the report holds a summary, metrics and actions")
@then("rapor bir özet, metrikler ve aksiyonlar içerir")
def _(control_report: str, watch_round: Round, gate: Gate) -> None:
    headings = [report.heading(gate.settings.lang, section) for section in report.SECTIONS]
    missing = [h for h in headings if f"## {h}" not in control_report]
    if missing:
        raise CheckFailed(N_("the control report lacks its sections: %(sections)s"), sections=", ".join(missing))
    obs = watch_round[0]
    missing_metrics = [Reason.of(N_("%(signal)s: %(why)s"), signal=k, why=obs.unavailable_reason(k))
                       for k in obs.unavailable]
    if obs.queue is not None and not obs.queue.complete:
        missing_metrics.append(Reason.of(N_("withdrawals %(note)s"), note=obs.queue.note_reason))
    if missing_metrics:
        raise CheckFailed(N_("the control report was written without all its metrics: %(missing)s"),
                          missing=tuple(missing_metrics))


# -- hc_stable_72h ---------------------------------------------------------------------------------------------------
@then("the watch rounds of this release span 72 hours without a trigger")
@then("bu release'in izleme turları tetikleyicisiz 72 saati kapsar")
def _(watch_round: Round, hypercare_history: dict[str, Any], gate: Gate, target: TargetClient,
      evidence: Evidence) -> None:
    cfg = config(target)
    if not gate.settings.release_sha:
        skip(N_("72 hours stable: release SHA not pinned, so no watch round can be kept on record"))
    kept = rounds_with(hypercare_history, judge.round_summary(*watch_round), cfg)
    stable = rounds.stability(kept, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
    evidence.put("stability", stable.to_json())
    evidence.put("rounds_considered", len(kept))
    if stable.verdict is rounds.Steadiness.FAIL:
        raise CheckFailed(stable.reason)
    if stable.verdict is not rounds.Steadiness.PASS:
        # not a failure of the platform: the 72 h have not been watched yet (NOT_RUN, never PASS)
        skip(N_("72 hours stable not yet proven: %(why)s"), why=stable.reason)
