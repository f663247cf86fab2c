"""The hypercare logic without HTTP: Prometheus parsing, deltas, p95, queue and payout rates, thresholds, a round's
findings, stability, the control report. The interval against the previous round or the T-0 baseline is in
test_hypercare_interval.py, the reconciliation in test_recon.py, go-live completion in test_completion.py."""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from cutover_gate.checks.hypercare import judge, rounds, signals
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import Listing, QueueView
from cutover_gate.checks.hypercare.interval import BASELINE, Interval
from cutover_gate.core import clock
from cutover_gate.core.reasons import Reason
from cutover_gate.reports import hypercare as report

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

SCRAPE = """\
# HELP http_requests_total Total number of requests by handler, method and status class.
# TYPE http_requests_total counter
http_requests_total{handler="/api/health",method="GET",status="2xx"} 10
http_requests_total{handler="/api/v1/finance/withdrawals",method="GET",status="5xx"} 2
http_requests_total{handler="/metrics",method="GET",status="2xx"} 50
http_requests_total{handler="/api/v1/auth/login",method="POST",status="401"} 3 1700000000000
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/api/health",method="GET",le="0.1"} 4
http_request_duration_seconds_bucket{handler="/api/health",method="GET",le="0.5"} 9
http_request_duration_seconds_bucket{handler="/api/health",method="GET",le="+Inf"} 10
http_request_duration_seconds_sum{handler="/api/health",method="GET"} 1.5
http_request_duration_seconds_count{handler="/api/health",method="GET"} 10
"""


def cfg(**over: Any) -> HypercareConfig:
    return HypercareConfig.from_mapping(over)


def interval(errors: float = 0, total: float = 50, *, slow: float = 0, handler_5xx: str = "/api/health",
             reset: str | None = None) -> Interval:
    """An interval of `total` requests since the T-0 baseline an hour ago, `errors` of them 5xx on `handler_5xx`,
    `slow` of them slower than 2 s."""
    counts = {("/api/health", "2xx"): total - errors}
    if errors:
        counts[(handler_5xx, "5xx")] = errors
    buckets = {0.1: total - slow, 2.5: total, math.inf: total}
    return Interval(NOW - timedelta(hours=1), NOW, BASELINE, counts, buckets, reset)


def queue(*, backlog: int = 0, stuck: int = 0, deposits: int = 0, payouts: signals.PayoutRate | None = None,
          complete: bool = True) -> QueueView:
    def listing(n: int, state: str, minutes: float) -> Listing:
        return Listing(n, [signals.QueueItem(f"tx{i}", state, minutes) for i in range(min(n, 20))])

    return QueueView("sql" if complete else "api", complete=complete, backlog=listing(backlog, "requested", 95),
                     stuck_payouts=listing(stuck, "payout_pending", 45),
                     stuck_deposits=listing(deposits, "pending_provider", 120),
                     payouts=payouts or signals.PayoutRate(0, 0, 60, 5),
                     note="" if complete else "incomplete: read 4000 withdrawals through the admin API")


# -- parsing -------------------------------------------------------------------------------------------------------
def test_parse_reads_samples_types_and_timestamps() -> None:
    expo = signals.parse_metrics(SCRAPE)
    assert expo.types == {"http_requests_total": "counter", "http_request_duration_seconds": "histogram"}
    login = [s for s in expo.series("http_requests_total") if s.labels["handler"] == "/api/v1/auth/login"]
    assert login == [signals.Sample("http_requests_total", {"handler": "/api/v1/auth/login", "method": "POST",
                                                       "status": "401"}, 3.0)]
    assert expo.series("http_request_duration_seconds_bucket")[-1].labels["le"] == "+Inf"


def test_parse_handles_escapes_commas_braces_inf_and_nan() -> None:
    expo = signals.parse_metrics('m{a="x,y}",b="say \\"hi\\"",c="back\\\\slash\\nnext"} +Inf\nm_nan NaN\nbare 1e3\n')
    first, nan, bare = expo.samples
    assert first.labels == {"a": "x,y}", "b": 'say "hi"', "c": "back\\slash\nnext"}
    assert math.isinf(first.value) and math.isnan(nan.value) and bare.value == 1000.0


@pytest.mark.parametrize("text", ["metric{a=unquoted} 1", "metric 1 2 3", "{a=\"x\"} 1", "metric notanumber"])
def test_parse_rejects_what_is_not_exposition_format_naming_the_line(text: str) -> None:
    with pytest.raises(signals.MetricsError, match="line 2"):
        signals.parse_metrics("# a comment\n" + text)


@pytest.mark.parametrize(("value", "cls"), [("2xx", "2xx"), ("5XX", "5xx"), ("503", "5xx"), ("404", "4xx"),
                                            ("ok", None), ("600", None), ("", None)])
def test_status_class(value: str, cls: str | None) -> None:
    assert signals.status_class(value) == cls


# -- rates -----------------------------------------------------------------------------------------------------------
def test_request_counts_normalise_codes_and_leave_out_excluded_handlers() -> None:
    counts = signals.request_counts(signals.parse_metrics(SCRAPE), "http_requests_total", exclude=["/metrics"])
    assert counts == {("/api/health", "2xx"): 10, ("/api/v1/finance/withdrawals", "5xx"): 2,
                      ("/api/v1/auth/login", "4xx"): 3}
    assert signals.by_class(counts) == {"2xx": 10, "5xx": 2, "4xx": 3}


def test_counter_delta_is_the_growth_and_a_reset_counts_whole() -> None:
    delta = signals.counter_delta({"a": 5.0, "b": 10.0}, {"a": 8.0, "b": 3.0, "c": 1.0})
    assert delta == {"a": 3.0, "b": 3.0, "c": 1.0}


def test_error_rate_between_two_scrapes() -> None:
    before = signals.request_counts(signals.parse_metrics(SCRAPE), "http_requests_total")
    after = dict(before)
    after[("/api/health", "2xx")] += 95
    after[("/api/v1/finance/withdrawals", "5xx")] += 5
    window = signals.ErrorRate.of(signals.counter_delta(before, after))
    assert (window.errors, window.total, window.rate) == (5, 100, 0.05)
    assert signals.ErrorRate.of({}).rate is None  # no traffic: no data, not a failure


# -- histogram -> p95 ------------------------------------------------------------------------------------------------
def test_quantile_interpolates_within_the_bucket_like_prometheus() -> None:
    buckets = {0.1: 4.0, 0.5: 9.0, math.inf: 10.0}
    # rank 0.95*10 = 9.5 lies in the +Inf bucket: the highest finite bound
    assert signals.quantile(0.95, buckets) == 0.5
    # rank 5 lies in (0.1, 0.5]: 0.1 + 0.4 * (5 - 4) / (9 - 4)
    assert signals.quantile(0.5, buckets) == pytest.approx(0.18)
    # rank 2 in the first bucket: linear from 0
    assert signals.quantile(0.2, buckets) == pytest.approx(0.05)


def test_quantile_without_observations_is_none_and_needs_an_inf_bucket() -> None:
    assert signals.quantile(0.95, {0.1: 0.0, math.inf: 0.0}) is None
    with pytest.raises(signals.MetricsError, match=r"\+Inf"):
        signals.quantile(0.95, {0.1: 3.0})
    with pytest.raises(ValueError, match="outside"):
        signals.quantile(1.5, {math.inf: 1.0})


def test_p95_over_the_window_from_two_scrapes_summing_every_series() -> None:
    before = signals.parse_metrics(SCRAPE)
    after = signals.parse_metrics(SCRAPE.replace('le="0.1"} 4', 'le="0.1"} 104').replace('le="0.5"} 9', 'le="0.5"} 109')
                             .replace('le="+Inf"} 10', 'le="+Inf"} 110')
                             + 'http_request_duration_seconds_bucket{handler="/x",method="GET",le="0.1"} 0\n'
                             + 'http_request_duration_seconds_bucket{handler="/x",method="GET",le="0.5"} 0\n'
                             + 'http_request_duration_seconds_bucket{handler="/x",method="GET",le="+Inf"} 0\n')
    name = "http_request_duration_seconds"
    window = signals.counter_delta(signals.histogram_buckets(before, name), signals.histogram_buckets(after, name))
    assert window == {0.1: 100.0, 0.5: 100.0, math.inf: 100.0}
    assert signals.quantile(0.95, window) == pytest.approx(0.095)
    assert signals.histogram_buckets(after, name, exclude=["/api/health", "/x"]) == {}


# -- withdrawal queue and payouts ------------------------------------------------------------------------------------
def item(ref: str, state: str, created_min: float, updated_min: float | None = None, **extra: Any) -> dict[str, Any]:
    updated = created_min if updated_min is None else updated_min
    return {"tx_id": ref, "state": state, "created_at": (NOW - timedelta(minutes=created_min)).isoformat(),
            "updated_at": (NOW - timedelta(minutes=updated)).isoformat().replace("+00:00", "Z"), **extra}


def test_parse_time_forms() -> None:
    assert clock.parse_time("2026-03-01T12:00:00Z") == NOW
    assert clock.parse_time("2026-03-01T12:00:00") == NOW  # naive is UTC
    assert clock.parse_time(NOW.timestamp()) == NOW
    assert clock.parse_time("yesterday") is None and clock.parse_time(None) is None and clock.parse_time(True) is None


def test_overdue_picks_watched_states_past_the_limit_oldest_first() -> None:
    items = [item("a", "requested", 90), item("b", "approved", 30), item("c", "payout_pending", 200, 45),
             item("d", "paid", 500), item("e", "requested", 61)]
    backlog = signals.overdue(items, states=["requested", "approved", "payout_pending"], minutes=60, now=NOW,
                         time_field="created_at", id_field="tx_id")
    assert [(i.ref, round(i.age_minutes)) for i in backlog] == [("c", 200), ("a", 90), ("e", 61)]
    stuck = signals.overdue(items, states=["payout_pending"], minutes=30, now=NOW, time_field="updated_at",
                       id_field="tx_id")
    assert [i.ref for i in stuck] == ["c"] and "payout_pending for 45 min" in stuck[0].describe()
    no_update = [{"tx_id": "f", "state": "payout_pending", "created_at": (NOW - timedelta(hours=2)).isoformat()}]
    assert signals.overdue(no_update, states=["payout_pending"], minutes=30, now=NOW, time_field="updated_at",
                      id_field="tx_id", fallback_time_field="created_at")[0].ref == "f"


def rate(items: list[dict[str, Any]], **kw: Any) -> signals.PayoutRate:
    args: dict[str, Any] = {"now": NOW, "window_minutes": 60, "min_sample": 5, "paid_states": ["paid"],
                            "failed_states": ["payout_failed"], "time_field": "updated_at", "id_field": "tx_id",
                            "provider_field": "provider", **kw}
    return signals.payout_rate(items, **args)


def test_payout_rate_counts_provider_outcomes_in_the_window() -> None:
    items = ([item(f"f{i}", "payout_failed", 30, provider="psp") for i in range(3)]
             + [item(f"p{i}", "paid", 30, provider="psp") for i in range(7)]
             + [item("manual", "paid", 10, provider=None), item("old", "payout_failed", 300, 120, provider="psp"),
                item("open", "approved", 5, provider=None), item("f0", "payout_failed", 30, provider="psp")])
    r = rate(items)
    assert (r.failed, r.succeeded, r.rate) == (3, 7, 0.3)
    assert r.exceeds(0.15) and "30.0% (3 failed of 10" in r.describe()


def test_payout_rate_below_the_minimum_sample_is_no_data_never_a_failure() -> None:
    r = rate([item("f", "payout_failed", 5, provider="psp")])
    assert r.rate is None and not r.exceeds(0.15) and r.describe().startswith("no data")
    assert rate([]).rate is None


def test_payout_rate_at_exactly_the_limit_does_not_exceed_it() -> None:
    items = [item(f"f{i}", "payout_failed", 5) for i in range(3)] + [item(f"p{i}", "paid", 5) for i in range(17)]
    r = rate(items, provider_field=None)
    assert r.rate == pytest.approx(0.15) and not r.exceeds(0.15)


# -- configuration ---------------------------------------------------------------------------------------------------
def test_the_default_profile_section_is_valid_and_matches_the_runbook() -> None:
    text = resources.files("cutover_gate").joinpath("config/profiles/default.toml").read_text(encoding="utf-8")
    c = HypercareConfig.from_mapping(tomllib.loads(text)["hypercare"])
    assert c.payout_failure_rate_max == 0.15 and c.stable_hours == 72 and c.max_round_gap_hours == 8
    assert c.backlog_states == ("requested", "approved", "payout_pending") and c.stuck_states == ("payout_pending",)


@pytest.mark.parametrize(("data", "match"), [({"payout_failure_rate": 0.1}, "unknown key"),
                                             ({"error_rate_max": 1.5}, "out of range"),
                                             ({"stuck_minutes": "soon"}, "not a number"),
                                             ({"backlog_states": "requested"}, "list of strings"),
                                             ({"payout_handler_pattern": "("}, "regular expression")])
def test_config_errors_name_the_key(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        HypercareConfig.from_mapping(data)


# -- evaluation of a round -------------------------------------------------------------------------------------------
def test_a_healthy_round_has_no_finding() -> None:
    obs = judge.Observation(at=NOW, interval=interval(0, 50), queue=queue())
    assert judge.evaluate(obs, cfg()) == []
    summary = judge.round_summary(obs, []).to_json()
    assert summary["ok"] is True and summary["spike"] is None
    assert summary["interval"]["basis"] == BASELINE and summary["interval"]["requests"] == 50


def test_payout_failure_rate_over_15_percent_fails_with_the_rollback_trigger() -> None:
    obs = judge.Observation(at=NOW, queue=queue(payouts=signals.PayoutRate(8, 2, 60, 5)))
    (finding,) = judge.evaluate(obs, cfg())
    assert (finding.check, finding.severity, finding.trigger) == ("payout_failure_rate", "FAIL", "payout_failure_rate")


def test_latency_spike_and_queue_backlog_are_monitor_rows_not_failures() -> None:
    obs = judge.Observation(at=NOW, interval=interval(0, 40, slow=40), queue=queue(backlog=1))
    findings = judge.evaluate(obs, cfg())
    assert {(f.trigger, f.severity) for f in findings} == {("latency_spike", "MONITOR"), ("queue_backlog", "MONITOR")}
    summary = judge.round_summary(obs, findings).to_json()
    assert summary["ok"] is True and summary["triggers"] == ["latency_spike", "queue_backlog"]
    assert summary["backlog"] == 1 and summary["p95_s"] > 1


def test_failures_stuck_jobs_5xx_recon_and_unreadable_signals() -> None:
    obs = judge.Observation(at=NOW, interval=interval(6, 100, handler_5xx="/api/v1/player/wallet/withdraw"),
                            queue=queue(stuck=1, deposits=2), invariants_broken={"movement_balanced": 1},
                            unavailable={"withdrawals": "GET /api/v1/finance/withdrawals?state=paid -> 500",
                                         "metrics": "GET /metrics -> 404"})
    findings = judge.evaluate(obs, cfg())
    by_check = {(f.check, f.trigger) for f in findings}
    assert ("stuck_jobs", None) in by_check and ("ledger_recon", "ledger_invariant_breach") in by_check
    assert ("error_rate", None) in by_check and ("error_rate", "payout_withdraw_http_error") in by_check
    assert ("signals", "payout_withdraw_http_error") in by_check and ("signals", None) in by_check
    assert all(f.severity == "FAIL" for f in findings)
    rate = next(f.message for f in findings if f.check == "error_rate")
    assert "6.0% (6 of 100 requests since the T-0 baseline at 2026-03-01T11:00:00Z (1.0 h))" in rate
    stuck = next(f.message for f in findings if f.check == "stuck_jobs")
    assert "1 payout(s) stuck over 30 min" in stuck and "2 deposit(s) waiting for their PSP over 60 min" in stuck
    assert judge.spike(findings) is not None  # a 5xx over the threshold is the first hours' "spike"


def test_a_half_read_queue_is_never_judged_complete() -> None:
    obs = judge.Observation(at=NOW, interval=interval(), queue=queue(complete=False))
    (finding,) = judge.evaluate(obs, cfg())
    assert (finding.check, finding.severity) == ("signals", "FAIL")
    assert finding.message.startswith("withdrawals incomplete: read 4000")
    assert judge.round_summary(obs, [finding]).to_json()["queue"]["complete"] is False


def test_a_restart_inside_the_interval_is_reported_and_no_failure() -> None:
    obs = judge.Observation(at=NOW, interval=interval(reset="request counters fell (/api/health 2xx)"))
    (finding,) = judge.evaluate(obs, cfg())
    assert (finding.check, finding.severity, finding.trigger) == ("restart", "MONITOR", None)
    assert "the platform restarted" in finding.message and "only what it served since the restart" in finding.message
    summary = judge.round_summary(obs, [finding]).to_json()
    assert summary["ok"] is True and summary["restart"].startswith("request counters fell")


# -- 72 hours stable -------------------------------------------------------------------------------------------------
def rnd(hours_ago: float, ok: bool = True, triggers: tuple[str, ...] = ()) -> rounds.WatchRound:
    return rounds.WatchRound(at=clock.iso(NOW - timedelta(hours=hours_ago)), ok=ok, triggers=list(triggers),
                             failures=[] if ok else ["payout failure rate 40% is over 15%"])


def test_no_round_or_a_single_run_never_passes() -> None:
    assert rounds.stability([]).verdict == "OPEN"
    single = rounds.stability([rnd(0)])
    assert single.verdict == "OPEN" and "0.0 h of 72 h" in single.message


def test_clean_rounds_over_72_hours_at_the_runbook_cadence_pass() -> None:
    kept = [rnd(h) for h in (73, 66, 58, 50, 42, 34, 26, 20, 12, 6, 3, 1, 0.5, 0)]
    result = rounds.stability(list(reversed(kept)))  # order on record does not matter
    assert result.verdict == "PASS" and result.clean_rounds == 14 and result.clean_hours == pytest.approx(73)


def test_a_failed_latest_round_is_fail() -> None:
    result = rounds.stability([rnd(80), rnd(40), rnd(0, ok=False, triggers=("payout_failure_rate",))])
    assert result.verdict == "FAIL" and "payout failure rate" in result.message


def test_a_monitor_row_in_the_latest_round_restarts_the_clock_without_failing() -> None:
    clean = [rnd(h) for h in (80, 72, 64, 56, 48, 40, 32, 24, 16, 8)]
    result = rounds.stability([*clean, rnd(0, triggers=("latency_spike",))])
    assert result.verdict == "OPEN" and "latency_spike" in result.message


def test_an_earlier_incident_or_a_long_gap_restarts_the_clock() -> None:
    incident = rounds.stability([rnd(100), rnd(50, ok=False, triggers=("ledger_invariant_breach",))]
                            + [rnd(h) for h in (45, 40, 32, 24, 16, 8, 0)])
    assert incident.verdict == "OPEN" and "ledger_invariant_breach" in incident.message
    assert incident.clean_hours == pytest.approx(45)
    gap = rounds.stability([rnd(h) for h in (90, 84, 78)] + [rnd(h) for h in (60, 52, 44, 36, 28, 20, 12, 4, 0)])
    assert gap.verdict == "OPEN" and "18.0 h gap" in gap.message


@pytest.mark.parametrize(("hours", "minutes"), [(0, 30), (5.9, 30), (6, 60), (23.9, 60), (24, 480), (71, 480),
                                                (72, None)])
def test_next_check_follows_the_runbook_cadence(hours: float, minutes: int | None) -> None:
    assert rounds.next_check_minutes(hours) == minutes


# -- the control report ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "heads"), [("en", ("T+60 first hypercare report", "## Summary", "## Metrics",
                                                     "## Actions")),
                                             ("tr", ("T+60 ilk hypercare raporu", "## Özet", "## Metrikler",
                                                     "## Aksiyonlar"))])
def test_report_has_summary_metrics_and_actions(lang: str, heads: tuple[str, ...]) -> None:
    obs = judge.Observation(at=NOW, interval=interval(0, 20), queue=queue(payouts=signals.PayoutRate(4, 1, 60, 5)))
    findings = judge.evaluate(obs, cfg())
    stable = rounds.stability([rnd(0)])
    text = report.render_report(lang=lang, number=1, release_sha="a" * 40, target="https://pay.example",
                                generated_at=NOW, reference=NOW - timedelta(hours=1), obs=obs, findings=findings,
                                cfg=cfg(), rounds=[judge.round_summary(obs, findings)], stable=stable)
    for head in heads:
        assert head in text
    assert "T+1.0 h" in text and "80.00%" not in text and "80.0% (4 failed of 5" in text
    assert "2026-03-01T12:05:00Z" in text  # the IC decides within 5 minutes of the observation
    assert "`payout_failure_rate`" in text
    assert "since the T-0 baseline at 2026-03-01T11:00:00Z" in text  # the interval the round judged


def test_report_actions_without_findings_continue_the_routine() -> None:
    assert report.report_actions([], NOW, 10) == ["No action: continue the routine.",
                                              "Next watch round in 60 min (runbook cadence)."]
    assert report.report_actions([], NOW, 80, "tr")[-1] == "72 saatlik rutin tamamlandı."


def test_a_finding_keeps_its_record_beside_its_english() -> None:
    obs = judge.Observation(at=NOW, queue=queue(payouts=signals.PayoutRate(8, 2, 60, 5)))
    obs.mark_unavailable("withdrawals", Reason.of("GET %(path)s -> %(status)s", path="/w", status=500))
    findings = judge.evaluate(obs, cfg())
    unavailable = next(f for f in findings if f.check == "signals")
    assert obs.unavailable["withdrawals"] == "GET /w -> 500"
    assert unavailable.message == "withdrawals unavailable: GET /w -> 500"
    assert unavailable.trigger == "payout_withdraw_http_error"
    for finding in findings:
        data = finding.to_json()
        assert list(data)[:4] == ["check", "severity", "message", "trigger"] and data["message"] == finding.message
        assert judge.Finding.from_json(data) == finding
    old = judge.Finding.from_json({"check": "signals", "severity": "FAIL", "message": "as it was", "trigger": None})
    assert old.message == "as it was" and old.reason.text("tr") == "as it was"
    actions = report.report_actions([old], NOW, 1.0, "en")
    assert "Investigate and fix: as it was" in actions[0]
