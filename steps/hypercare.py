"""Hypercare (runbook §4 "Hypercare routine (72 h)", checklist section 5): one watch round per run.

The steps gather what the platform shows (/metrics, the finance withdrawal queue, readiness, the webhook routes, the
ledger over SQL) through the target client and the database; cutover_gate.hypercare holds the logic (parsing, rates,
thresholds, the 72-hour stability). A round is taken once per process and shared by the scenarios that need it.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from pytest_bdd import given, then, when

from cutover_gate import hypercare as hc
from cutover_gate.artifacts import write_json, write_text
from cutover_gate.client import CheckFailed, Response, TargetClient, to_decimal
from cutover_gate.db import Database
from cutover_gate.fixtures import Gate
from cutover_gate.model import parse_iso, utcnow
from cutover_gate.profile import dig
from cutover_gate.record import Record, RecordError
from cutover_gate.recorder import Evidence
from cutover_gate.secrets import Secret

WATCH_LINE = "hc_first_6h_watch"
REPORT_LINE = "hc_control_report_24h"
MAX_ROUNDS = 200
REPORT_MD, REPORT_JSON = "hypercare_report.md", "hypercare_report.json"

Round = tuple[hc.Observation, list[hc.Finding]]


def config(target: TargetClient) -> hc.HypercareConfig:
    try:
        return hc.HypercareConfig.from_mapping(target.profile.data.get("hypercare", {}))
    except ValueError as exc:
        raise CheckFailed(f"profile '{target.profile.name}': {exc}") from None


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
        return dict(Record.load(gate.settings.reports_dir).releases.get(sha, {}))
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


# -- one watch round ------------------------------------------------------------------------------------------------
def scrape(target: TargetClient, obs: hc.Observation) -> hc.Exposition | None:
    path = target.profile.path("metrics")
    resp = target.get(path)
    if resp.status != 200:
        obs.unavailable["metrics"] = f"GET {path} -> {resp.status}"
        return None
    try:
        return hc.parse_metrics(resp.text)
    except hc.MetricsError as exc:
        obs.unavailable["metrics"] = f"GET {path}: not Prometheus text ({exc})"
        return None


def rates(before: hc.Exposition, after: hc.Exposition, cfg: hc.HypercareConfig, obs: hc.Observation) -> None:
    """5xx rate and p95 latency over the window between the two scrapes (counter and bucket deltas)."""

    def counts(expo: hc.Exposition) -> dict[tuple[str, str], float]:
        return hc.request_counts(expo, cfg.requests_counter, status_label=cfg.status_label,
                                 handler_label=cfg.handler_label, exclude=cfg.exclude_handlers)

    def buckets(expo: hc.Exposition) -> dict[float, float]:
        return hc.histogram_buckets(expo, cfg.latency_histogram, handler_label=cfg.handler_label,
                                    exclude=cfg.exclude_handlers)

    now = counts(after)
    if not now:
        obs.unavailable["metrics"] = f"no {cfg.requests_counter} series with a status class"
        return
    delta = hc.counter_delta(counts(before), now)
    obs.window, obs.cumulative = hc.ErrorRate.of(delta), hc.ErrorRate.of(now)
    obs.handlers_5xx = {h: n for (h, cls), n in delta.items() if cls == "5xx" and n > 0}
    try:
        window = hc.counter_delta(buckets(before), buckets(after))
        obs.p95_s = hc.quantile(0.95, window)
        obs.latency_samples = window[max(window)]
    except hc.MetricsError as exc:
        obs.unavailable["metrics"] = f"{cfg.latency_histogram}: {exc}"


def withdrawals(target: TargetClient, token: Secret, cfg: hc.HypercareConfig, obs: hc.Observation
                ) -> list[dict[str, Any]] | None:
    """Every withdrawal in a watched state (paged); closed ones only back to the payout lookback."""
    p = target.profile
    path, id_field = p.path("withdrawals"), p.field("withdrawal_item_id")
    closed = {*cfg.payout_paid_states, *cfg.payout_failed_states}
    lookback = obs.at - timedelta(hours=max(cfg.payout_lookback_hours, cfg.payout_window_minutes / 60))
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for state in dict.fromkeys([*cfg.backlog_states, *cfg.stuck_states, *closed]):
        for page in range(cfg.max_pages):
            query = urlencode({cfg.state_param: state, cfg.limit_param: cfg.page_limit,
                               cfg.offset_param: page * cfg.page_limit})
            resp = target.get(f"{path}?{query}", token=token)
            if resp.status != 200:
                obs.unavailable["withdrawals"] = f"GET {path}?{cfg.state_param}={state} -> {resp.status}"
                return None
            batch = [i for i in resp.field(p.field("list_items")) if isinstance(i, dict)]
            new = [i for i in batch if str(i.get(id_field)) not in seen]
            seen.update(str(i.get(id_field)) for i in new)
            out.extend(new)
            times = [hc.parse_time(i.get(cfg.created_field)) for i in batch]
            old = bool(times) and all(t is not None and t < lookback for t in times)
            if len(batch) < cfg.page_limit or not new or (state in closed and old):
                break
        else:
            obs.queue_truncated = True
    return out


def _wallet_views(target: TargetClient, token: Secret, database: Database, player_id: str
                  ) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    p = target.profile
    resp = target.get(p.path("admin_player_wallet", player_id=player_id), token=token)
    resp.expect(200, what=f"admin wallet of player {player_id}")
    wallet = p.field("admin_wallet")
    api = (to_decimal(resp.field(f"{wallet}.{p.field('available')}"), "admin wallet available"),
           to_decimal(resp.field(f"{wallet}.{p.field('held')}"), "admin wallet held"))
    rows = database.query("wallet", {"player_id": player_id})
    sql = ((to_decimal(rows[0]["available"], "database available"), to_decimal(rows[0]["held"], "database held"))
           if len(rows) == 1 else (Decimal(-1), Decimal(-1)))
    return api, sql


def recon(target: TargetClient, token: Secret, database: Database, cfg: hc.HypercareConfig,
          items: list[dict[str, Any]] | None, obs: hc.Observation) -> None:
    """Random ledger recon: the profile's invariant SQL, and a random sample of wallets, admin API against SQL."""
    try:
        found = database.invariants()
    except CheckFailed as exc:
        obs.unavailable["database"] = str(exc)
        return
    if not found:
        obs.unavailable["database"] = "the profile defines no ledger invariant queries"
    obs.invariants_checked = sorted(found)
    obs.invariants_broken = {name: len(rows) for name, rows in found.items() if rows}
    players = sorted({str(i[cfg.player_field]) for i in items or [] if i.get(cfg.player_field)})
    for pid in random.sample(players, min(cfg.recon_sample, len(players))):
        obs.wallets_sampled.append(pid)
        try:
            api, sql = _wallet_views(target, token, database, pid)
            if api != sql:  # money may have moved between the two reads: look once more
                api, sql = _wallet_views(target, token, database, pid)
        except CheckFailed as exc:
            obs.unavailable["wallet"] = str(exc)
            continue
        if api != sql:
            obs.wallet_mismatches.append(f"wallet {pid}: admin API {api[0]}/{api[1]}, SQL {sql[0]}/{sql[1]} "
                                         "(available/held)")


def take_round(target: TargetClient, token: Secret, database: Database, cfg: hc.HypercareConfig) -> Round:
    obs = hc.Observation(at=utcnow())
    started = time.monotonic()
    before = scrape(target, obs)
    items = withdrawals(target, token, cfg, obs)
    recon(target, token, database, cfg, items, obs)
    if before is not None:
        time.sleep(max(0.0, cfg.sample_seconds - (time.monotonic() - started)))
        after = scrape(target, obs)
        obs.window_s = time.monotonic() - started
        if after is not None:
            rates(before, after, cfg, obs)
    if items is not None:
        p, now = target.profile, utcnow()
        common = {"now": now, "id_field": p.field("withdrawal_item_id"), "state_field": p.field("tx_state")}
        obs.backlog = hc.overdue(items, states=cfg.backlog_states, minutes=cfg.backlog_sla_minutes,
                                 time_field=cfg.created_field, **common)
        obs.stuck = hc.overdue(items, states=cfg.stuck_states, minutes=cfg.stuck_minutes, time_field=cfg.updated_field,
                               fallback_time_field=cfg.created_field, **common)
        obs.payouts = hc.payout_rate(items, window_minutes=cfg.payout_window_minutes, min_sample=cfg.payout_min_sample,
                                     paid_states=cfg.payout_paid_states, failed_states=cfg.payout_failed_states,
                                     time_field=cfg.updated_field, provider_field=cfg.provider_field, **common)
    return obs, hc.evaluate(obs, cfg)


@when("I take a hypercare watch round", target_fixture="watch_round")
@when("bir hypercare izleme turu yaparım", target_fixture="watch_round")
def _(target: TargetClient, admin_token: Secret, database: Database, hypercare_round_cache: dict[str, Round],
      evidence: Evidence) -> Round:
    if "round" not in hypercare_round_cache:
        hypercare_round_cache["round"] = take_round(target, admin_token, database, config(target))
    obs, findings = hypercare_round_cache["round"]
    evidence.put("round", hc.round_summary(obs, findings))
    return obs, findings


# -- hc_first_6h_watch -----------------------------------------------------------------------------------------------
def rounds_with(history: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = [r for r in line_evidence(history, WATCH_LINE).get("rounds", []) if r.get("at") != summary["at"]]
    return [*rounds, summary][-MAX_ROUNDS:]


@then("the round is kept in the hypercare record")
@then("tur hypercare kaydına eklenir")
def _(watch_round: Round, hypercare_history: dict[str, Any], target: TargetClient, evidence: Evidence) -> None:
    obs, findings = watch_round
    evidence.put("rounds", rounds_with(hypercare_history, hc.round_summary(obs, findings)))
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
    failed = [f.message for f in watch_round[1] if f.check in checks and f.severity == hc.FAIL]
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
    rounds = rounds_with(hypercare_history, hc.round_summary(obs, findings))
    number = int(line_evidence(hypercare_history, REPORT_LINE).get("report_number", 0)) + 1
    stable = hc.stability(rounds, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
    now = utcnow()
    text = hc.render_report(lang=settings.lang, number=number, release_sha=settings.release_sha,
                            target=settings.target_url or "embedded sandbox", generated_at=now,
                            reference=t0_reference(hypercare_history, rounds), obs=obs, findings=findings, cfg=cfg,
                            rounds=rounds, stable=stable)
    write_text(settings.reports_dir / REPORT_MD, text)
    write_json(settings.reports_dir / REPORT_JSON, {
        "report_number": number, "release_sha": settings.release_sha, "generated_at": hc.iso(now),
        "round": hc.round_summary(obs, findings), "findings": [asdict(f) for f in findings],
        "metrics": [dict(zip(("signal", "value", "threshold", "result"), row, strict=True))
                    for row in hc.metric_rows(obs, findings, cfg)],
        "actions": hc.report_actions(findings, obs.at, (now - t0_reference(hypercare_history, rounds)
                                                        ).total_seconds() / 3600, settings.lang),
        "stable_72h": asdict(stable), "unavailable": obs.unavailable})
    evidence.put("report_number", number)
    evidence.put("first_report", number == 1)
    evidence.put("hypercare_report", REPORT_MD)
    evidence.put("report_status", "ACTION" if any(f.severity == hc.FAIL for f in findings) else
                 "MONITOR" if findings else "OK")
    return text


@then("the report holds a summary, metrics and actions")
@then("rapor bir özet, metrikler ve aksiyonlar içerir")
def _(control_report: str, watch_round: Round, gate: Gate) -> None:
    t = hc.text(gate.settings.lang)
    missing = [t[key] for key in ("summary", "metrics", "actions") if f"## {t[key]}" not in control_report]
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
    rounds = rounds_with(hypercare_history, hc.round_summary(*watch_round))
    stable = hc.stability(rounds, hours=cfg.stable_hours, max_gap_hours=cfg.max_round_gap_hours)
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
def _(target: TargetClient, evidence: Evidence) -> hc.Exposition:
    path = target.profile.path("metrics")
    resp = target.get(path)
    evidence.put("metrics_status", resp.status)
    if resp.status != 200:
        raise CheckFailed(f"no metrics for alerting: GET {path} answered {resp.status}")
    try:
        return hc.parse_metrics(resp.text)
    except hc.MetricsError as exc:
        raise CheckFailed(f"GET {path} is not Prometheus text: {exc}") from None


@then("the request counter carries handler, method and status-class labels")
@then("istek sayacı handler, method ve durum sınıfı etiketlerini taşır")
def _(metrics_text: hc.Exposition, target: TargetClient, evidence: Evidence) -> None:
    cfg = config(target)
    series = metrics_text.series(cfg.requests_counter)
    if not series:
        raise CheckFailed(f"/metrics has no {cfg.requests_counter} series: 5xx alerting has nothing to count")
    labels = (cfg.handler_label, cfg.method_label, cfg.status_label)
    unlabeled = [s.labels for s in series if any(k not in s.labels for k in labels)]
    odd = sorted({s.labels.get(cfg.status_label, "") for s in series} - {""}
                 - {v for s in series if hc.status_class(v := s.labels.get(cfg.status_label, ""))})
    classes = sorted({c for s in series if (c := hc.status_class(s.labels.get(cfg.status_label, "")))})
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
def _(metrics_text: hc.Exposition, target: TargetClient, evidence: Evidence) -> None:
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
