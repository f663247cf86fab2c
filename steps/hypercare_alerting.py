"""Hypercare's `hc_alerting_active` (checklist section 5 "Alerting active (5xx/latency/DB/webhook)"): the signals
the platform's alerts are built on exist. Every webhook route answers and refuses an unsigned request (a missing
route cannot raise webhook errors); /metrics carries the request counter with its labels and a valid latency
histogram; readiness reports the database.

With `[metrics] source = "prometheus"` the line also proves the alerting where it lives (checks/hypercare/alerting.py):
the alert rules the profile names for 5xx, latency, db and webhook are loaded, healthy and evaluated on time, an
Alertmanager is attached, up, and routes them to a receiver with an integration. `t15_alerting_active` is the same
check for the deployer at T-15 (not mandatory: with the default `scrape` source it is skipped, NOT_RUN)."""

from __future__ import annotations

from pytest_bdd import then, when

from cutover_gate.checks.hypercare import alerting
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.watch import config
from cutover_gate.checks.kit import ALERTING_PROBE
from cutover_gate.core.catalogue import T15_ALERTING_ACTIVE
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason, texts
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient

T15_LINE = T15_ALERTING_ACTIVE


@when("I send an unsigned request to every webhook route", target_fixture="webhook_answers")
@when("her webhook route'una imzasız bir istek gönderirim", target_fixture="webhook_answers")
def _(target: TargetClient) -> dict[str, Response]:
    return {name: ALERTING_PROBE.post_to(target, target.profile.path(route.call), json={})
            for name, route in target.profile.webhooks.routes.items()}


@then("every webhook route answers and refuses it")
@then("her webhook route'u yanıt verir ve isteği reddeder")
def _(webhook_answers: dict[str, Response], evidence: Evidence) -> None:
    evidence.put("webhook_routes", {k: r.status for k, r in webhook_answers.items()})
    bad: list[Reason] = []
    for key, resp in webhook_answers.items():
        where = {"route": key, "url": resp.exchange.url, "status": resp.status}
        if resp.status in (404, 405):
            bad.append(Reason.of(N_("%(route)s (%(url)s) is not mounted: %(status)s"), **where))
        elif resp.status >= 500:
            bad.append(Reason.of(N_("%(route)s (%(url)s) is broken: %(status)s"), **where))
        elif resp.status < 400:
            bad.append(Reason.of(N_("%(route)s (%(url)s) accepted an unsigned request: %(status)s"), **where))
    if bad:
        raise CheckFailed(N_("webhook routes cannot raise webhook errors: %(problems)s"), problems=tuple(bad))


@when("I scrape the metrics endpoint", target_fixture="metrics_text")
@when("metrics endpoint'ini okurum", target_fixture="metrics_text")
def _(target: TargetClient, evidence: Evidence) -> sig.Exposition:
    path = target.profile.path("metrics")
    resp = target.call("metrics")
    evidence.put("metrics_status", resp.status)
    if resp.status != 200:
        raise CheckFailed(N_("no metrics for alerting: GET %(path)s answered %(status)s"), path=path,
                          status=resp.status)
    try:
        return sig.parse_metrics(resp.text)
    except sig.MetricsError as exc:
        raise CheckFailed(N_("GET %(path)s is not Prometheus text: %(error)s"), path=path, error=exc) from None


@then("the request counter carries handler, method and status-class labels")
@then("istek sayacı handler, method ve durum sınıfı etiketlerini taşır")
def _(metrics_text: sig.Exposition, target: TargetClient, evidence: Evidence) -> None:
    cfg = config(target)
    series = metrics_text.series(cfg.requests_counter)
    if not series:
        raise CheckFailed(N_("/metrics has no %(counter)s series: 5xx alerting has nothing to count"),
                          counter=cfg.requests_counter)
    labels = (cfg.handler_label, cfg.method_label, cfg.status_label)
    unlabeled = [s.labels for s in series if any(k not in s.labels for k in labels)]
    odd = sorted({s.labels.get(cfg.status_label, "") for s in series} - {""}
                 - {v for s in series if sig.status_class(v := s.labels.get(cfg.status_label, ""))})
    classes = sorted({c for s in series if (c := sig.status_class(s.labels.get(cfg.status_label, "")))})
    evidence.put("status_classes", classes)
    evidence.put("request_series", len(series))
    if unlabeled:
        raise CheckFailed(N_("%(counter)s series without the labels %(labels)s: %(series)s"),
                          counter=cfg.requests_counter, labels=", ".join(labels), series=unlabeled[:3])
    if odd:
        raise CheckFailed(N_("%(counter)s has status values that are not a status class: %(values)s"),
                          counter=cfg.requests_counter, values=odd[:5])
    if not classes:
        raise CheckFailed(N_("%(counter)s has no series with a status class: nothing to alert on"),
                          counter=cfg.requests_counter)


@then("the request latency histogram has buckets, a sum and a count")
@then("istek gecikme histogramı bucket, sum ve count içerir")
def _(metrics_text: sig.Exposition, target: TargetClient, evidence: Evidence) -> None:
    name = config(target).latency_histogram
    declared = metrics_text.types.get(name)
    if declared not in (None, "histogram"):
        raise CheckFailed(N_("%(name)s is declared a %(declared)s, not a histogram: no latency quantiles"),
                          name=name, declared=declared)
    buckets = metrics_text.series(f"{name}_bucket")
    counts = {tuple(sorted(s.labels.items())): s.value for s in metrics_text.series(f"{name}_count")}
    if not buckets or not counts or not metrics_text.series(f"{name}_sum"):
        raise CheckFailed(N_("/metrics lacks the %(name)s histogram (_bucket, _sum and _count)"), name=name)
    per_series: dict[tuple[tuple[str, str], ...], dict[float, float]] = {}
    for s in buckets:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        per_series.setdefault(key, {})[float(s.labels.get("le", "nan"))] = s.value
    for key, series in per_series.items():
        ordered = [series[b] for b in sorted(series)]
        if float("inf") not in series or ordered != sorted(ordered) or counts.get(key) != series[float("inf")]:
            raise CheckFailed(N_("%(name)s series %(labels)s is not a valid histogram (+Inf bucket = count, "
                                 "cumulative)"), name=name, labels=dict(key))
    evidence.put("latency_buckets", sorted({b for s in per_series.values() for b in s if b != float("inf")}))


@then("the readiness reports the database connected")
@then("hazır olma durumu veritabanının bağlı olduğunu bildirir")
def _(target: TargetClient, evidence: Evidence) -> None:
    resp = target.call("readiness")
    try:
        state = resp.word("database")
    except CheckFailed as exc:
        raise CheckFailed(N_("readiness (HTTP %(status)s) does not report the database: %(cause)s"),
                          status=resp.status, cause=exc.reason) from None
    evidence.put("readiness_database", state)
    wanted = target.profile.state("database_ok")
    if state != wanted:
        raise CheckFailed(N_("readiness reports the database '%(state)s', not '%(wanted)s'"), state=state,
                          wanted=wanted)


# -- alerting where it lives: Prometheus and Alertmanager ------------------------------------------------------------
def inspect_alerting(gate: Gate, target: TargetClient) -> alerting.AlertingView:
    metrics = target.profile.model.metrics
    try:
        api = prom.connect(gate.settings, metrics)
    except prom.PromError as exc:
        return alerting.AlertingView(unchecked=str(exc), unchecked_reason=exc.reason, evidence={"source": "prometheus"})
    try:
        return alerting.inspect(api, metrics)
    finally:
        api.close()


def fail_on(problems: list[Reason]) -> None:
    if problems:
        raise CheckFailed(N_("alerting is not live: %(problems)s"), problems=tuple(problems))


@then("with the Prometheus source its alert rules are healthy and Alertmanager routes them")
@then("Prometheus kaynağıyla alarm kuralları sağlıklıdır ve Alertmanager onları yönlendirir")
def _(gate: Gate, target: TargetClient, evidence: Evidence) -> None:
    if target.profile.model.metrics.source != "prometheus":
        evidence.put("alerting", "not asked: [metrics] source is scrape (the signals above are the proof)")
        return
    view = inspect_alerting(gate, target)
    evidence.put("alerting", view.evidence)
    evidence.put("alerting_problems", texts(view.problems))
    if view.unchecked:
        raise CheckFailed(N_("could not check: %(cause)s"), cause=view.unchecked_reason or view.unchecked)
    fail_on(view.problems)


@when("I ask Prometheus about the platform's alerting", target_fixture="alerting_view")
@when("Prometheus'a platformun alarm düzenini sorarım", target_fixture="alerting_view")
def _(gate: Gate, target: TargetClient, evidence: Evidence) -> alerting.AlertingView:
    if target.profile.model.metrics.source != "prometheus":
        skip(N_("%(line)s: the profile's [metrics] source is scrape; alerting is proven in Prometheus only with "
                '[metrics] source = "prometheus" (hc_alerting_active still checks the signals)'), line=T15_LINE)
    view = inspect_alerting(gate, target)
    evidence.put("alerting", view.evidence)
    evidence.put("alerting_problems", texts(view.problems))
    if view.unchecked:
        raise CheckFailed(N_("could not check: %(cause)s"), cause=view.unchecked_reason or view.unchecked)
    return view


@then("every alert the runbook needs is a healthy rule evaluated on time")
@then("runbook'un gerektirdiği her alarm zamanında değerlendirilen sağlıklı bir kuraldır")
def _(alerting_view: alerting.AlertingView) -> None:
    fail_on(alerting_view.rules)


@then("an Alertmanager is attached, up and routes the alerts to a receiver")
@then("bir Alertmanager bağlıdır, ayaktadır ve alarmları bir alıcıya yönlendirir")
def _(alerting_view: alerting.AlertingView) -> None:
    fail_on(alerting_view.delivery)
