"""Hypercare (runbook §4 "Hypercare routine (72 h)", checklist section 5): one watch round per run.

A watch round is gathered by cutover_gate.checks.hypercare.watch (/metrics, the finance withdrawal queue, the ledger
over SQL) and judged by checks.hypercare.judge; the control report is reports/hypercare.py. A round is taken once per
process and shared by the scenarios that need it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks.hypercare import judge
from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.watch import Round, config, take_round
from cutover_gate.config.target_profile import dig
from cutover_gate.core.clock import iso, parse_iso, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.reports import hypercare as report
from cutover_gate.reports.writer import write_json, write_text
from cutover_gate.target.client import Response, TargetClient
from cutover_gate.target.database import Database

WATCH_LINE = "hc_first_6h_watch"
REPORT_LINE = "hc_control_report_24h"
MAX_ROUNDS = 200
REPORT_MD, REPORT_JSON = "hypercare_report.md", "hypercare_report.json"

@pytest.fixture(scope="session")
def hypercare_round_cache() -> dict[str, Round]:
    """One watch round per process: the watch, the report and the stability scenarios read the same observation."""
    return {}


# -- the record of this release: earlier rounds and reports -----------------------------------------------------------
def release_record(gate: Gate) -> dict[str, Any]:
    sha = gate.settings.release_sha
    if not sha:
        return {}
    try:
        return dict(CutoverRecord.load(gate.settings.reports_dir).releases.get(sha, {}))
    except RecordError as exc:
        raise CheckFailed(str(exc)) from None


def line_evidence(rel: dict[str, Any], line: str) -> dict[str, Any]:
    return dict(rel.get("lines", {}).get(line, {}).get("evidence", {}))


@given("the hypercare record of this release", target_fixture="hypercare_history")
@given("bu release'in hypercare kaydı", target_fixture="hypercare_history")
def _(gate: Gate, evidence: Evidence) -> dict[str, Any]:
    rel = release_record(gate)
    rounds = list(line_evidence(rel, WATCH_LINE).get("rounds", []))
    evidence.put("rounds_on_record", len(rounds))
    return rel


@given("the watch rounds on record for this release are carried forward", target_fixture="hypercare_history")
@given("bu release'in kayıtlı izleme turları devralınır", target_fixture="hypercare_history")
def _(gate: Gate, evidence: Evidence) -> dict[str, Any]:
    rel = release_record(gate)
    # kept even if this round never happens: the record replaces a line's evidence with the latest run's
    evidence.put("rounds", list(line_evidence(rel, WATCH_LINE).get("rounds", []))[-MAX_ROUNDS:])
    return rel


@when("I take a hypercare watch round", target_fixture="watch_round")
@when("bir hypercare izleme turu yaparım", target_fixture="watch_round")
def _(target: TargetClient, admin_token: Secret, database: Database, hypercare_round_cache: dict[str, Round],
      evidence: Evidence) -> Round:
    if "round" not in hypercare_round_cache:
        hypercare_round_cache["round"] = take_round(target, admin_token, database, config(target))
    obs, findings = hypercare_round_cache["round"]
    evidence.put("round", judge.round_summary(obs, findings))
    return obs, findings


# -- hc_first_6h_watch -----------------------------------------------------------------------------------------------
def rounds_with(history: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = [r for r in line_evidence(history, WATCH_LINE).get("rounds", []) if r.get("at") != summary["at"]]
    return [*rounds, summary][-MAX_ROUNDS:]


@then("the round is kept in the hypercare record")
@then("tur hypercare kaydına eklenir")
def _(watch_round: Round, hypercare_history: dict[str, Any], target: TargetClient, evidence: Evidence) -> None:
    obs, findings = watch_round
    evidence.put("rounds", rounds_with(hypercare_history, judge.round_summary(obs, findings)))
    evidence.put("thresholds", {k: v for k, v in asdict(config(target)).items()
                                if k.endswith(("_max", "_max_s", "_minutes", "_sample", "_hours", "_seconds"))})
    evidence.put("findings", [asdict(f) for f in findings])
    evidence.put("window_s", round(obs.window_s, 2) if obs.window_s else None)
    evidence.put("payouts", obs.payouts.describe() if obs.payouts else None)
    evidence.put("backlog", [i.describe() for i in obs.backlog[:20]])
    evidence.put("stuck", [i.describe() for i in obs.stuck[:20]])
    evidence.put("wallets_sampled", obs.wallets_sampled)
    evidence.put("invariants_checked", obs.invariants_checked)


@then("every rollback-matrix row the round observed is raised")
@then("turun gözlediği her rollback matrisi satırı bildirilir")
def _(watch_round: Round, evidence: Evidence) -> None:
    for finding in watch_round[1]:
        if finding.trigger:
            evidence.trigger(finding.trigger, finding.message)


def _check(watch_round: Round, *checks: str) -> None:
    failed = [f.message for f in watch_round[1] if f.check in checks and f.severity == judge.FAIL]
    if failed:
        raise CheckFailed("; ".join(failed))


@then("the payout failure rate is within the rollback threshold")
@then("payout hata oranı rollback eşiğinin içindedir")
def _(watch_round: Round) -> None:
    _check(watch_round, "payout_failure_rate")


@then("the random ledger reconciliation holds")
@then("rastgele ledger mutabakatı tutar")
def _(watch_round: Round) -> None:
    _check(watch_round, "ledger_recon")


@then("no finance job is stuck")
@then("takılı kalmış finans işi yoktur")
def _(watch_round: Round) -> None:
    _check(watch_round, "stuck_jobs")


@then("the 5xx rate is under its threshold")
@then("5xx oranı eşiğinin altındadır")
def _(watch_round: Round) -> None:
    _check(watch_round, "error_rate")


@then("every signal of the round was read")
@then("turun tüm sinyalleri okundu")
def _(watch_round: Round) -> None:
    _check(watch_round, "signals")


# -- hc_control_report_24h --------------------------------------------------------------------------------------------
def t0_reference(history: dict[str, Any], rounds: list[dict[str, Any]]) -> datetime:
    """T-0: the canary's time on record for this release, else the first watch round."""
    stamps = [line["at"] for lid, line in history.get("lines", {}).items() if lid.startswith("t0_") and line.get("at")]
    first = min(stamps) if stamps else rounds[0]["at"]
    return parse_iso(first)


@when("I write the hypercare control report", target_fixture="control_report")
@when("hypercare kontrol raporunu yazarım", target_fixture="control_report")
def _(watch_round: Round, hypercare_history: dict[str, Any], gate: Gate, target: TargetClient,
      evidence: Evidence) -> str:
    obs, findings = watch_round
    cfg, settings = config(target), gate.settings
    rounds = rounds_with(hypercare_history, judge.round_summary(obs, findings))
    number = int(line_evidence(hypercare_history, REPORT_LINE).get("report_number", 0)) + 1
    stable = judge.stability(rounds, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
    now = utcnow()
    reference = t0_reference(hypercare_history, rounds)
    text = report.render_report(lang=settings.lang, number=number, release_sha=settings.release_sha,
                                target=settings.target_name, generated_at=now, reference=reference, obs=obs,
                                findings=findings, cfg=cfg, rounds=rounds, stable=stable)
    write_text(settings.reports_dir / REPORT_MD, text)
    write_json(settings.reports_dir / REPORT_JSON, {
        "report_number": number, "release_sha": settings.release_sha, "generated_at": iso(now),
        "round": judge.round_summary(obs, findings), "findings": [asdict(f) for f in findings],
        "metrics": report.metric_rows(obs, findings, cfg),
        "actions": report.report_actions(findings, obs.at, (now - reference).total_seconds() / 3600, settings.lang),
        "stable_72h": asdict(stable), "unavailable": obs.unavailable})
    evidence.put("report_number", number)
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
        raise CheckFailed(f"the control report lacks its sections: {', '.join(missing)}")
    unavailable = watch_round[0].unavailable
    if unavailable:
        raise CheckFailed("the control report was written without all its metrics: " +
                          "; ".join(f"{k}: {v}" for k, v in unavailable.items()))


# -- hc_stable_72h ---------------------------------------------------------------------------------------------------
@then("the watch rounds of this release span 72 hours without a trigger")
@then("bu release'in izleme turları tetikleyicisiz 72 saati kapsar")
def _(watch_round: Round, hypercare_history: dict[str, Any], gate: Gate, target: TargetClient,
      evidence: Evidence) -> None:
    cfg = config(target)
    if not gate.settings.release_sha:
        pytest.skip("72 hours stable: release SHA not pinned, so no watch round can be kept on record")
    rounds = rounds_with(hypercare_history, judge.round_summary(*watch_round))
    stable = judge.stability(rounds, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
    evidence.put("stability", asdict(stable))
    evidence.put("rounds_considered", len(rounds))
    if stable.verdict == "FAIL":
        raise CheckFailed(stable.message)
    if stable.verdict != "PASS":
        # not a failure of the platform: the 72 h have not been watched yet (NOT_RUN, never PASS)
        pytest.skip(f"72 hours stable not yet proven: {stable.message}")


# -- hc_alerting_active ----------------------------------------------------------------------------------------------
@when("I send an unsigned request to every webhook route", target_fixture="webhook_answers")
@when("her webhook route'una imzasız bir istek gönderirim", target_fixture="webhook_answers")
def _(target: TargetClient) -> dict[str, Response]:
    return {key: target.post(target.profile.path(key), json={}) for key in config(target).webhook_routes}


@then("every webhook route answers and refuses it")
@then("her webhook route'u yanıt verir ve isteği reddeder")
def _(webhook_answers: dict[str, Response], evidence: Evidence) -> None:
    evidence.put("webhook_routes", {k: r.status for k, r in webhook_answers.items()})
    bad = []
    for key, resp in webhook_answers.items():
        where = f"{key} ({resp.exchange.url})"
        if resp.status in (404, 405):
            bad.append(f"{where} is not mounted: {resp.status}")
        elif resp.status >= 500:
            bad.append(f"{where} is broken: {resp.status}")
        elif resp.status < 400:
            bad.append(f"{where} accepted an unsigned request: {resp.status}")
    if bad:
        raise CheckFailed("webhook routes cannot raise webhook errors: " + "; ".join(bad))


@when("I scrape the metrics endpoint", target_fixture="metrics_text")
@when("metrics endpoint'ini okurum", target_fixture="metrics_text")
def _(target: TargetClient, evidence: Evidence) -> sig.Exposition:
    path = target.profile.path("metrics")
    resp = target.get(path)
    evidence.put("metrics_status", resp.status)
    if resp.status != 200:
        raise CheckFailed(f"no metrics for alerting: GET {path} answered {resp.status}")
    try:
        return sig.parse_metrics(resp.text)
    except sig.MetricsError as exc:
        raise CheckFailed(f"GET {path} is not Prometheus text: {exc}") from None


@then("the request counter carries handler, method and status-class labels")
@then("istek sayacı handler, method ve durum sınıfı etiketlerini taşır")
def _(metrics_text: sig.Exposition, target: TargetClient, evidence: Evidence) -> None:
    cfg = config(target)
    series = metrics_text.series(cfg.requests_counter)
    if not series:
        raise CheckFailed(f"/metrics has no {cfg.requests_counter} series: 5xx alerting has nothing to count")
    labels = (cfg.handler_label, cfg.method_label, cfg.status_label)
    unlabeled = [s.labels for s in series if any(k not in s.labels for k in labels)]
    odd = sorted({s.labels.get(cfg.status_label, "") for s in series} - {""}
                 - {v for s in series if sig.status_class(v := s.labels.get(cfg.status_label, ""))})
    classes = sorted({c for s in series if (c := sig.status_class(s.labels.get(cfg.status_label, "")))})
    evidence.put("status_classes", classes)
    evidence.put("request_series", len(series))
    if unlabeled:
        raise CheckFailed(f"{cfg.requests_counter} series without the labels {', '.join(labels)}: {unlabeled[:3]}")
    if odd:
        raise CheckFailed(f"{cfg.requests_counter} has status values that are not a status class: {odd[:5]}")
    if not classes:
        raise CheckFailed(f"{cfg.requests_counter} has no series with a status class: nothing to alert on")


@then("the request latency histogram has buckets, a sum and a count")
@then("istek gecikme histogramı bucket, sum ve count içerir")
def _(metrics_text: sig.Exposition, target: TargetClient, evidence: Evidence) -> None:
    name = config(target).latency_histogram
    declared = metrics_text.types.get(name)
    if declared not in (None, "histogram"):
        raise CheckFailed(f"{name} is declared a {declared}, not a histogram: no latency quantiles")
    buckets = metrics_text.series(f"{name}_bucket")
    counts = {tuple(sorted(s.labels.items())): s.value for s in metrics_text.series(f"{name}_count")}
    if not buckets or not counts or not metrics_text.series(f"{name}_sum"):
        raise CheckFailed(f"/metrics lacks the {name} histogram (_bucket, _sum and _count)")
    per_series: dict[tuple[tuple[str, str], ...], dict[float, float]] = {}
    for s in buckets:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        per_series.setdefault(key, {})[float(s.labels.get("le", "nan"))] = s.value
    for key, series in per_series.items():
        ordered = [series[b] for b in sorted(series)]
        if float("inf") not in series or ordered != sorted(ordered) or counts.get(key) != series[float("inf")]:
            raise CheckFailed(f"{name} series {dict(key)} is not a valid histogram (+Inf bucket = count, cumulative)")
    evidence.put("latency_buckets", sorted({b for s in per_series.values() for b in s if b != float("inf")}))


@then("the readiness reports the database connected")
@then("hazır olma durumu veritabanının bağlı olduğunu bildirir")
def _(target: TargetClient, evidence: Evidence) -> None:
    cfg = config(target)
    resp = target.get(target.profile.path("readiness"))
    try:
        state = dig(resp.json(), cfg.readiness_database)
    except KeyError as exc:
        raise CheckFailed(f"readiness (HTTP {resp.status}) does not report the database: {exc.args[0]}") from None
    evidence.put("readiness_database", state)
    if state != cfg.database_ok:
        raise CheckFailed(f"readiness reports the database '{state}', not '{cfg.database_ok}'")
