"""Alerting proven where it lives and hypercare signals read from Prometheus, without pytest-bdd and without the
real servers (tests/e2e/test_prometheus_alerting.py has those): the judgement over the API's answers, Alertmanager's
routing, the firing alerts and their rows, the HTTP client's deadline, and the profile's [metrics] section."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cutover_gate.checks.hypercare import alerting, promwatch
from cutover_gate.checks.hypercare import interval as iv
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.judge import FAIL, MONITOR, Observation, evaluate
from cutover_gate.config import profile_schema
from cutover_gate.config.profile_metrics import Metrics
from cutover_gate.config.target_profile import ProfileError, default_data, load_profile
from cutover_gate.core.reasons import texts
from cutover_gate.core.redact import REDACTOR, Secret

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = {"5xx": "HighErrorRate", "latency": "LatencyHigh", "db": "ReadinessFailing", "webhook": "WebhookFailures"}


def rule(name: str, *, health: str = "ok", last: datetime = NOW - timedelta(seconds=10), error: str = "",
         severity: str = "critical") -> dict[str, Any]:
    return {"name": name, "type": "alerting", "health": health, "lastError": error, "labels": {"severity": severity},
            "lastEvaluation": last.isoformat().replace("+00:00", "Z"), "state": "inactive", "query": "vector(1)"}


def groups(*rules: dict[str, Any], interval: float = 30) -> list[dict[str, Any]]:
    return [{"name": "cutover-runbook", "interval": interval, "rules": list(rules)}]


def metrics_of(**values: Any) -> Metrics:
    return Metrics.model_validate(values)


def healthy() -> list[dict[str, Any]]:
    return groups(*(rule(name) for name in RULES.values()))


# -- the rules -------------------------------------------------------------------------------------------------------
def test_healthy_rules_evaluated_on_time_pass_and_carry_their_labels_for_routing() -> None:
    view = alerting.judge_rules(healthy(), RULES, NOW, {"job": "payments"})
    assert texts(view.problems) == []
    assert view.labelsets["5xx"] == [{"job": "payments", "severity": "critical", "alertname": "HighErrorRate"}]
    assert view.evidence["db"]["found"][0]["group"] == "cutover-runbook"


def test_each_missing_unhealthy_or_late_rule_is_named() -> None:
    rules = groups(rule("HighErrorRate", health="err", error="invalid regular expression in label_replace(): ("),
                   rule("LatencyHigh", last=NOW - timedelta(seconds=61)),
                   rule("ReadinessFailing", last=datetime(1, 1, 1, tzinfo=UTC)), interval=30)
    view = alerting.judge_rules(rules, {**RULES, "latency": "LatencyHigh"}, NOW)
    assert texts(view.problems) == [
        "5xx: alert 'HighErrorRate' (group 'cutover-runbook') is not healthy: health err: invalid regular expression "
        "in label_replace(): (",
        "latency: alert 'LatencyHigh' (group 'cutover-runbook') was last evaluated 61 s ago (2026-03-01T11:58:59Z), "
        "more than two evaluation intervals (2 x 30 s)",
        "db: alert 'ReadinessFailing' (group 'cutover-runbook') has never been evaluated",
        "webhook: no alert rule or rule group 'WebhookFailures' is loaded in Prometheus"]


def test_a_rule_group_may_stand_for_a_kind_and_an_unnamed_kind_is_a_problem() -> None:
    webhooks = {"name": "webhooks", "interval": 15,
                "rules": [rule("StripeDown"), rule("AdyenDown"), {"name": "rec", "type": "recording"}]}
    rules = [*healthy(), webhooks]
    view = alerting.judge_rules(rules, {"5xx": "HighErrorRate", "latency": "LatencyHigh", "webhook": "webhooks"}, NOW)
    assert texts(view.problems) == ["db: [metrics.alert_rules] names no alert for it"]
    assert [r["alert"] for r in view.evidence["webhook"]["found"]] == ["StripeDown", "AdyenDown"]


# -- Alertmanager's route tree --------------------------------------------------------------------------------------
CONFIG = """
route:
  receiver: "null"
  routes:
    - matchers: ['severity="critical"', 'team=~"pay.*"']
      receiver: pager
    - match: {severity: warning}
      receiver: chat
      continue: true
    - matchers: ['severity!="critical"']
      receiver: "null"
receivers:
  - name: "null"
  - name: pager
    pagerduty_configs: [{routing_key: "<secret>"}]
  - name: chat
    slack_configs: [{channel: "#ops"}]
"""


@pytest.mark.parametrize(("labels", "expected"), [
    ({"severity": "critical", "team": "payments"}, ["pager"]),
    ({"severity": "critical", "team": "games"}, ["null"]),
    ({"severity": "warning"}, ["chat", "null"]),
    ({}, ["null"]),
])
def test_routing_follows_alertmanager_first_match_continue_and_inheritance(labels: dict[str, str],
                                                                           expected: list[str]) -> None:
    import yaml

    assert alerting.route_of(yaml.safe_load(CONFIG)["route"], labels) == expected


def test_an_alert_routed_only_to_a_receiver_without_integration_goes_nowhere() -> None:
    sets = {"5xx": [{"alertname": "HighErrorRate", "severity": "critical", "team": "payments"}],
            "db": [{"alertname": "ReadinessFailing", "severity": "critical", "team": "core"}]}
    problems, evidence = alerting.judge_config(CONFIG, sets)
    assert texts(problems) == ["db: alerts go nowhere: 'ReadinessFailing' is routed to 'null', with no integration "
                        "(no *_configs)"]
    assert evidence["routed"]["HighErrorRate"] == ["pager"] and evidence["receivers"]["pager"] == ["pagerduty_configs"]


def test_a_tree_sending_everything_to_a_null_receiver_is_alerts_go_nowhere() -> None:
    text = 'route: {receiver: "null", routes: [{matchers: [a="b"]}]}\nreceivers: [{name: "null"}]\n'
    problems, _ = alerting.judge_config(text, {})
    assert texts(problems) == ["alerts go nowhere: Alertmanager's route tree sends every alert to 'null', with no "
                               "integration (no *_configs)"]
    assert alerting.judge_config("route: [", {})[0][0].text().startswith("Alertmanager's configuration is not YAML")
    assert texts(alerting.judge_config("receivers: []", {})[0]) == [
        "Alertmanager's configuration has no route with a receiver: alerts go nowhere"]


# -- firing alerts --------------------------------------------------------------------------------------------------
def test_firing_alerts_of_the_target_map_to_rows_by_name_then_severity_and_the_rest_are_listed() -> None:
    alerts = [
        {"labels": {"alertname": "HighErrorRate", "job": "payments", "severity": "critical"}, "state": "firing",
         "activeAt": "2026-03-01T11:55:00.123456789Z", "value": "5e-02"},
        {"labels": {"alertname": "DiskFull", "job": "payments", "severity": "critical"}, "state": "firing"},
        {"labels": {"alertname": "Odd", "job": "payments", "severity": "info"}, "state": "firing"},
        {"labels": {"alertname": "HighErrorRate", "job": "payments", "severity": "critical"}, "state": "pending"},
        {"labels": {"alertname": "HighErrorRate", "job": "games", "severity": "critical"}, "state": "firing"},
    ]
    metrics = metrics_of(alert_labels={"job": "payments"},
                      alert_map={"HighErrorRate": "payout_withdraw_http_error", "critical": "ledger_invariant_breach"})
    seen = alerting.firing(alerts, metrics)
    assert [(a["alert"], a["row"]) for a in seen] == [
        ('HighErrorRate{job="payments",severity="critical"} firing since 2026-03-01T11:55:00Z',
         "payout_withdraw_http_error"),
        ('DiskFull{job="payments",severity="critical"} firing', "ledger_invariant_breach"),
        ('Odd{job="payments",severity="info"} firing', None)]
    findings = promwatch.alert_findings(seen)
    assert [(f.severity, f.trigger) for f in findings] == [(MONITOR, "payout_withdraw_http_error"),
                                                           (MONITOR, "ledger_invariant_breach")]


# -- the HTTP API, with a deadline ----------------------------------------------------------------------------------
class FakePrometheus:
    """A loopback server answering the paths of `answers` (path -> (status, JSON)); records what it was asked."""

    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        asked: list[tuple[str, dict[str, str]]] = []
        self.asked = asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                asked.append((self.path, dict(self.headers.items())))
                status, body = answers.get(path, (404, {"status": "error", "error": "not found"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok(data: Any) -> tuple[int, Any]:
    return 200, {"status": "success", "data": data}


def test_the_whole_check_passes_on_a_healthy_server_and_sends_the_profile_headers() -> None:
    now = datetime.now(UTC)
    routed = 'route: {receiver: pager}\nreceivers: [{name: pager, webhook_configs: [{url: "http://x/"}]}]\n'
    am = FakePrometheus({"/api/v2/status": (200, {"cluster": {"status": "disabled"}, "config": {"original": routed},
                                                  "versionInfo": {"version": "0.25.0"}})})
    server = FakePrometheus({
        "/api/v1/query": ok({"resultType": "scalar", "result": [now.timestamp(), str(now.timestamp())]}),
        "/api/v1/rules": ok({"groups": groups(*(rule(n, last=now) for n in RULES.values()))}),
        "/api/v1/alertmanagers": ok({"activeAlertmanagers": [{"url": f"{am.url}/api/v2/alerts"}],
                                     "droppedAlertmanagers": []}),
        "/api/v1/alerts": ok({"alerts": []})})
    try:
        api = prom.PromApi(Secret(server.url, "CUTOVER_PROMETHEUS_URL"),
                           {"X-Scope-OrgID": Secret("tenant-7f3a", "PROM_TENANT")})
        view = alerting.inspect(api, metrics_of(alert_rules=RULES))
    finally:
        server.close()
        am.close()
    assert texts(view.problems) == [], view
    assert view.evidence["alertmanager"]["address"] == am.url and view.evidence["firing"] == []
    assert view.evidence["routing"]["routed"]["ReadinessFailing"] == ["pager"]
    assert server.asked and all(headers.get("X-Scope-OrgID") == "tenant-7f3a" for _, headers in server.asked)


def test_no_alertmanager_attached_and_an_alertmanager_down_are_named() -> None:
    now = datetime.now(UTC)
    answers = {"/api/v1/query": ok({"resultType": "scalar", "result": [now.timestamp(), "0"]}),
               "/api/v1/rules": ok({"groups": groups(*(rule(n, last=now) for n in RULES.values()))}),
               "/api/v1/alertmanagers": ok({"activeAlertmanagers": [], "droppedAlertmanagers": [{"url": "x"}]}),
               "/api/v1/alerts": ok({"alerts": []})}
    server = FakePrometheus(answers)
    try:
        api = prom.PromApi(Secret(server.url, "CUTOVER_PROMETHEUS_URL"))
        view = alerting.inspect(api, metrics_of(alert_rules=RULES))
        assert texts(view.problems) == ["no Alertmanager attached: Prometheus lists no active Alertmanager "
                                 "(/api/v1/alertmanagers, 1 dropped)"]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            gone = sock.getsockname()[1]
        answers["/api/v1/alertmanagers"] = ok({"activeAlertmanagers": [
            {"url": f"http://user:pw@127.0.0.1:{gone}/api/v2/alerts"}]})
        view = alerting.inspect(api, metrics_of(alert_rules=RULES))
        assert texts(view.problems) == [f"could not check: Alertmanager at http://127.0.0.1:{gone}: connection refused"]
    finally:
        server.close()


def test_prometheus_refusing_or_hanging_is_could_not_check_within_the_deadline() -> None:
    secret_url = "http://admin:Zr7-prom-pass@127.0.0.1:{port}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = prom.PromApi(Secret(secret_url.format(port=port), "CUTOVER_PROMETHEUS_URL"))
    view = alerting.inspect(api, metrics_of(alert_rules=RULES, deadline_s=1))
    assert texts(view.problems) == ["could not check: Prometheus /api/v1/query: connection refused"]
    with socket.socket() as hung:  # takes the connection, never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(4)
        api = prom.PromApi(Secret(secret_url.format(port=hung.getsockname()[1]), "CUTOVER_PROMETHEUS_URL"))
        started = time.monotonic()
        view = alerting.inspect(api, metrics_of(alert_rules=RULES, deadline_s=0.5))
        took = time.monotonic() - started
    assert texts(view.problems) == [
        "could not check: Prometheus /api/v1/query did not answer within the deadline (0.5 s)"]
    assert took < 1.5
    assert "Zr7-prom-pass" not in json.dumps(view.evidence) and "admin" not in " ".join(texts(view.problems))


def test_an_api_error_answer_is_named_without_the_address() -> None:
    server = FakePrometheus({"/api/v1/query": (400, {"status": "error", "errorType": "bad_data",
                                                      "error": "parse error at char 5"})})
    try:
        api = prom.PromApi(Secret(server.url, "CUTOVER_PROMETHEUS_URL"))
        with pytest.raises(prom.PromError) as err:
            api.query("sum(", NOW, prom.Deadline(2))
    finally:
        server.close()
    assert str(err.value) == "Prometheus /api/v1/query answered HTTP 400: parse error at char 5"
    assert server.url not in str(err.value)


# -- the signals of a round -----------------------------------------------------------------------------------------
def vector(*values: float, handlers: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"resultType": "vector",
            "result": [{"metric": {"handler": handlers[i]} if handlers else {}, "value": [NOW.timestamp(), str(v)]}
                       for i, v in enumerate(values)]}


def test_one_number_takes_a_scalar_or_a_single_sample_and_refuses_several_series() -> None:
    assert prom.one_number({"resultType": "scalar", "result": [1, "0.25"]}) == 0.25
    assert prom.one_number(vector(3.0)) == 3.0
    assert prom.one_number(vector()) is None
    assert prom.one_number(vector(float("nan"))) is None
    with pytest.raises(ValueError, match="2 series, not one"):
        prom.one_number(vector(1.0, 2.0))
    assert prom.by_label(vector(2.0, 0.0, handlers=("/a", "/b")), "handler") == {"/a": 2.0}
    assert prom.fill('rate(x{a="b"}{range})', 300) == 'rate(x{a="b"}[300s])'


class CannedApi(prom.PromApi):
    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__(Secret("http://127.0.0.1:9", "CUTOVER_PROMETHEUS_URL"))
        self.answers = answers
        self.asked: list[str] = []

    def query(self, promql: str, at: datetime | None, deadline: prom.Deadline) -> dict[str, Any]:
        self.asked.append(promql)
        answer = next(v for k, v in self.answers.items() if k in promql)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


QUERIES = {"error_rate": "errors{range}", "requests": "volume{range}", "p95_seconds": "p95{range}",
           "payout_5xx": "payout{range}", "payouts_paid": "paid{range}", "payouts_failed": "failed{range}"}


def test_a_round_measured_by_prometheus_is_judged_as_a_scraped_one() -> None:
    api = CannedApi({"errors": vector(0.05), "volume": vector(400), "p95": vector(1.6),
                     "payout": vector(3.0, handlers=("/api/v1/payouts/initiate",)), "paid": vector(4),
                     "failed": vector(6)})
    metrics = metrics_of(queries=QUERIES)
    start = NOW - timedelta(minutes=30)
    got = prom.measure(api, metrics, start=start, basis=iv.PREVIOUS, end=NOW, min_sample=5)
    assert api.asked[0] == "errors[1800s]" and got.unavailable == {}
    interval = got.interval
    assert interval.rate.rate == 0.05 and interval.rate.errors == 20 and interval.p95_s == 1.6
    assert interval.describe() == ("since the previous round at 2026-03-01T11:30:00Z (30 min), by Prometheus over "
                                   "[1800s] at 2026-03-01T12:00:00Z")
    assert interval.to_json()["source"] == "prometheus" and interval.queries[0]["result"] == vector(0.05)["result"]
    obs = Observation(at=NOW, interval=interval)
    findings = evaluate(obs, HypercareConfig())
    assert [(f.check, f.severity, f.trigger) for f in findings] == [
        ("error_rate", FAIL, None), ("error_rate", FAIL, "payout_withdraw_http_error"),
        ("latency", MONITOR, "latency_spike")]
    assert findings[0].message.startswith("5xx rate 5.0% (20 of 400 requests since the previous round")
    assert got.payouts is not None and got.payouts.rate == 0.6


def test_missing_or_failing_queries_are_signals_not_read_and_a_dead_server_stops_the_rest() -> None:
    metrics = metrics_of(queries={"error_rate": "errors{range}", "requests": "volume{range}"})
    got = prom.measure(CannedApi({"errors": vector(), "volume": vector()}), metrics, start=None, basis=iv.SINCE_START,
                       end=NOW, min_sample=5)
    assert got.interval.basis == prom.BASIS_WINDOW and got.interval.seconds == 1800
    assert got.unavailable == {"metrics.p95_seconds": "[metrics.queries] p95_seconds is not set",
                               "metrics.requests": "query requests answered no series: it selects none of the "
                                                   "target's metrics over the interval"}
    refused = prom.Unreachable("Prometheus /api/v1/query: connection refused")
    dead = CannedApi({"errors": refused, "volume": vector(1)})
    got = prom.measure(dead, metrics_of(queries=QUERIES), start=None, basis="", end=NOW, min_sample=5)
    assert dead.asked == ["errors[1800s]"] and got.unreachable == str(refused)
    assert got.unavailable["metrics.error_rate"] == "could not check: Prometheus /api/v1/query: connection refused"
    typo = CannedApi({"errors": prom.PromError("Prometheus /api/v1/query answered HTTP 400: parse error"),
                      "volume": vector(7), "p95": vector(0.2), "payout": vector(), "paid": vector(),
                      "failed": vector(1)})
    got = prom.measure(typo, metrics_of(queries=QUERIES), start=None, basis="", end=NOW, min_sample=5)
    assert len(typo.asked) == 6 and not got.unreachable  # a bad query is named; the others are still asked
    assert list(got.unavailable) == ["metrics.error_rate"] and got.interval.requests == 7
    assert got.payouts is not None and (got.payouts.failed, got.payouts.succeeded) == (1, 0)


# -- the profile's [metrics] and the secrets ------------------------------------------------------------------------
def test_the_default_profile_scrapes_and_an_unknown_row_or_source_is_a_profile_problem(tmp_path: Path) -> None:
    assert load_profile(None).model.metrics.source == "scrape"
    data = default_data()
    data["metrics"] = {"source": "thanos", "alert_map": {"HighErrorRate": "rollback_now"}}
    _model, problems = profile_schema.check(data)
    assert any(p.startswith("metrics.source: not one of the allowed values") for p in problems), problems
    assert any("metrics.alert_map" in p and "not a rollback-matrix row: rollback_now" in p for p in problems)
    data["metrics"] = {"queries": {"payouts_paid": "sum(paid{range})"}}
    assert profile_schema.check(data)[1] == [
        "metrics.queries: value error, payouts_paid and payouts_failed go together (a rate needs both outcomes)"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[metrics]\nalert_rules = { disk = "DiskFull" }\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"metrics\.alert_rules\.disk"):
        load_profile(bad)
    assert load_profile(ROOT / "fixtures" / "prometheus" / "profile.toml").model.metrics.source == "prometheus"


def test_the_prometheus_url_and_header_values_are_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cutover_gate.config.settings import resolve

    profile = tmp_path / "p.toml"
    profile.write_text('[metrics]\nsource = "prometheus"\nheaders = { "X-Scope-OrgID" = "PROM_TENANT_T" }\n',
                       encoding="utf-8")
    monkeypatch.setenv("CUTOVER_PROMETHEUS_URL", "https://gate:Pq9-solo-prom-pw@prom.internal:9090")
    monkeypatch.setenv("PROM_TENANT_T", "tenant-9d2c71")
    option = SimpleNamespace(target_url="http://127.0.0.1:9", cutover_file=str(ROOT / "fixtures" / "cutover.toml"),
                             release_sha=None, decider=None, reports_dir=None, env_name="staging", lang="en",
                             profile=str(profile), plan=True)
    settings = resolve(option, ROOT)
    api = prom.connect(settings, settings.profile.model.metrics)
    api.close()
    assert REDACTOR.scrub("auth Pq9-solo-prom-pw failed for tenant-9d2c71") == "auth *** failed for ***"
    assert "prom.internal" not in repr(settings.secret("prometheus_url"))
    monkeypatch.delenv("PROM_TENANT_T")
    with pytest.raises(prom.PromError, match=r"\[metrics\] headers: X-Scope-OrgID \(\$PROM_TENANT_T\) unset"):
        prom.connect(resolve(option, ROOT), settings.profile.model.metrics)
    monkeypatch.delenv("CUTOVER_PROMETHEUS_URL")
    with pytest.raises(prom.PromError, match="CUTOVER_PROMETHEUS_URL is not set"):
        prom.connect(resolve(option, ROOT), settings.profile.model.metrics)


def test_alertmanager_address_is_taken_from_the_push_url_without_user_info() -> None:
    assert prom.base_of("http://u:p@10.0.0.7:9093/api/v2/alerts") == "http://10.0.0.7:9093"
    assert prom.base_of("https://am.example/prefix/api/v2/alerts") == "https://am.example/prefix"
