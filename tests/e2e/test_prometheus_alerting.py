"""Alerting proven where it lives, against real Prometheus and Alertmanager servers the tests start (see
prometheus_support.py), the gate run as a user runs it with a profile of `[metrics] source = "prometheus"` and
CUTOVER_PROMETHEUS_URL set, against a standalone sandbox Prometheus scrapes.

The faults here are the catalogue's monitoring layer (`cutover_sandbox.faults.of_monitoring`): conditions of the
Prometheus and Alertmanager beside the platform, which the stack started here honours (`MONITORING_VARIANTS`: a rule
file variant, Alertmanager attached or not, its receiver, a synthetic alert); each is caught by the line it names. The
mapped firing alert of a round comes from a platform fault (`error_burst_before_round`: a burst of 503s).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cutover_sandbox.faults import BY_NAME, of_monitoring

from .conftest import ROOT, GateRun, Standalone, serve_sandbox
from .prometheus_support import (
    JOB,
    MONITORING_VARIANTS,
    Stack,
    binaries,
    blackhole,
    rule_file,
    start_stack,
    traffic,
    wait_for,
)
from .test_hypercare import RELEASE_SHA, watch_rounds

PROFILE = ROOT / "fixtures" / "prometheus" / "profile.toml"
ALERTING = ("hc_alerting_active", "t15_alerting_active")


def profile(tmp_path: Path, deadline: float = 5) -> Path:
    path = tmp_path / "prometheus-profile.toml"
    path.write_text(PROFILE.read_text(encoding="utf-8").replace("deadline_s = 5", f"deadline_s = {deadline:g}"),
                    encoding="utf-8")
    return path


@pytest.fixture
def stacks(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Starts Prometheus (+ Alertmanager) for the test; every one started is stopped at its end, whatever happens."""
    binaries()
    started: list[Stack] = []

    def start(target: str, source: str = "runbook-alerts.rules.yml", *, alertmanager: str | None = "webhook",
              **variant: Any) -> Stack:
        where = tmp_path / f"stack{len(started)}"
        where.mkdir()
        stack = start_stack(where, target, rules=rule_file(where, source, **variant), alertmanager=alertmanager)
        started.append(stack)
        return stack

    try:
        yield start
    finally:
        for stack in started:
            stack.stop()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Standalone]:
    with serve_sandbox() as box:
        yield box


def against(gate: Callable[..., GateRun], reports: Path, box: Standalone, prometheus_url: str, profile_file: Path,
            *args: str) -> GateRun:
    return gate(reports, "--target-url", box.url, "--env-name", "staging", f"--release-sha={RELEASE_SHA}",
                f"--profile={profile_file}", *args,
                env={**box.env, "CUTOVER_DB_DSN": box.dsn, "CUTOVER_PROMETHEUS_URL": prometheus_url})


def test_healthy_alerting_passes_and_the_round_reads_its_signals_from_prometheus(
        stacks: Callable[..., Stack], gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path,
        sandbox: Standalone) -> None:
    stack = stacks(sandbox.url)
    traffic(stack, sandbox.url)
    run = against(gate, gate_reports, sandbox, stack.prometheus_url, profile(tmp_path), "-m", "t15 or hypercare")
    out = run.output[-4000:]
    for line in (*ALERTING, "hc_first_6h_watch", "hc_control_report_24h"):
        assert run.line(line)["result"] == "PASS", (line, run.line(line)["message"], out)
    assert run.decision["triggers"] == [], out
    alerting = run.line("hc_alerting_active")["evidence"]["alerting"]
    assert {kind: [r["alert"] for r in v["found"]] for kind, v in alerting["rules"].items()} == {
        "5xx": ["HighErrorRate"], "latency": ["LatencyHigh"], "db": ["ReadinessFailing"],
        "webhook": ["WebhookFailures"]}
    assert alerting["alertmanagers"]["active"] == [stack.alertmanager_url]
    assert alerting["routing"]["routed"]["HighErrorRate"] == ["hook"]
    watch = run.line("hc_first_6h_watch")["evidence"]
    queries = {q["name"]: q for q in watch["prometheus"]}
    assert set(queries) == {"error_rate", "requests", "p95_seconds", "payout_5xx"}
    assert all(q["at"] and "error" not in q and "{range}" not in q["query"] for q in queries.values()), queries
    assert float(queries["requests"]["result"][0]["value"][1]) > 0  # the gate's own requests, counted by Prometheus
    (first,) = watch_rounds(run)
    assert first["interval"]["source"] == "prometheus" and first["interval"]["basis"] == "window", first
    assert first["alerts_firing"] == [] and watch["alerts_firing"] == []
    assert stack.prometheus_url not in run.output  # the address is a secret
    assert stack.prometheus_url not in (gate_reports / "decision.json").read_text(encoding="utf-8")

    again = against(gate, gate_reports, sandbox, stack.prometheus_url, profile(tmp_path), "-m", "hypercare")
    second = watch_rounds(again)[-1]
    assert again.line("hc_first_6h_watch")["result"] == "PASS", again.output[-3000:]
    assert second["interval"]["basis"] == "previous_round" and second["interval"]["from"] == first["at"], second


MISSING_PIECES = {
    "alert_rule_missing": "webhook: no alert rule or rule group 'WebhookFailures' is loaded in Prometheus",
    "alert_rule_broken": "db: alert 'ReadinessFailing' (group 'cutover-runbook') is not healthy: health err: invalid "
                         "regular expression",
    "alertmanager_detached": "no Alertmanager attached: Prometheus lists no active Alertmanager",
    "alerts_go_nowhere": "alerts go nowhere: Alertmanager's route tree sends every alert to 'null', with no "
                         "integration (no *_configs)",
}


def test_every_monitoring_fault_is_honoured_by_the_stack_and_caught_here() -> None:
    assert set(MONITORING_VARIANTS) == {f.name for f in of_monitoring()}
    assert set(MISSING_PIECES) | {"critical_alert_firing"} == set(MONITORING_VARIANTS)
    assert all(BY_NAME[name].line == ALERTING[0] and BY_NAME[name].expect == "FAIL" for name in MISSING_PIECES)


@pytest.mark.parametrize("fault", list(MISSING_PIECES))
def test_each_missing_piece_of_alerting_fails_both_lines_naming_it(
        fault: str, stacks: Callable[..., Stack], gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path,
        sandbox: Standalone) -> None:
    stack = stacks(sandbox.url, **MONITORING_VARIANTS[fault])
    run = against(gate, gate_reports, sandbox, stack.prometheus_url, profile(tmp_path), "-m", "t15 or hypercare",
                  "-k", "alerting")
    for line in ALERTING:  # the fault's line, hc_alerting_active, and T-15's read-only twin
        got = run.line(line)
        assert got["result"] == "FAIL" and MISSING_PIECES[fault] in got["message"], (line, got["message"],
                                                                                     run.output[-3000:])
    assert run.decision["decision"] == "NO-GO" and run.returncode != 0


def test_a_firing_alert_mapped_to_a_row_raises_it_in_the_round(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path, stacks: Callable[..., Stack]) -> None:
    with serve_sandbox("error_burst_before_round") as box:
        stack = stacks(box.url, durations={"HighErrorRate": "0s"})
        for _ in range(40):  # the platform fails 40 requests: the 5xx alert fires
            assert requests.get(f"{box.url}/api/health", headers={"X-Sandbox-Burst": "1"}, timeout=5
                                ).status_code == 503
        wait_for(lambda: stack.firing("HighErrorRate"), "HighErrorRate firing")
        run = against(gate, gate_reports, box, stack.prometheus_url, profile(tmp_path), "-m", "hypercare")
    triggers = {t["row"]: t for t in run.decision["triggers"]}
    assert "payout_withdraw_http_error" in triggers, (run.decision["triggers"], run.output[-3000:])
    assert "Prometheus alert HighErrorRate" in triggers["payout_withdraw_http_error"]["evidence"]
    assert run.decision["decision"] == "NO-GO"
    watch = run.line("hc_first_6h_watch")["evidence"]
    (alert,) = [a for a in watch["alerts_firing"] if a["labels"]["alertname"] == "HighErrorRate"]
    assert alert["row"] == "payout_withdraw_http_error" and alert["labels"]["job"] == JOB
    assert any(f["check"] == "alerts" and f["trigger"] == "payout_withdraw_http_error" for f in watch["findings"])
    measured = [f["message"] for f in watch["findings"] if f["check"] == "error_rate"]
    assert measured and "by Prometheus over [" in measured[0], watch["findings"]  # the burst, measured by PromQL
    assert stack.sink is not None
    wait_for(lambda: "HighErrorRate" in stack.sink.alertnames(), "the alert delivered to the webhook receiver")


def test_prometheus_that_does_not_answer_fails_closed_within_the_deadline(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path, sandbox: Standalone) -> None:
    with blackhole() as hung:
        run = against(gate, gate_reports, sandbox, hung, profile(tmp_path, deadline=2), "-m", "t15 or hypercare",
                      "-k", "alerting or watch_round")
    for line in ALERTING:
        got = run.line(line)
        assert got["result"] == "FAIL", (line, got, run.output[-3000:])
        assert "could not check: Prometheus /api/v1/query did not answer within the deadline (2 s)" in got["message"]
    watch = run.line("hc_first_6h_watch")
    assert watch["result"] == "FAIL" and "could not check" in watch["message"], watch["message"]
    assert hung not in run.output and hung not in json.dumps(run.decision)
    junit = ET.parse(gate_reports / "junit.xml").getroot()
    took = {case.get("name"): float(case.get("time") or 0) for case in junit.iter("testcase")}
    alerting_cases = [t for name, t in took.items() if name and "alerting" in name]
    assert alerting_cases and max(alerting_cases) < 2 + 3, took  # the deadline, and the step's own few calls


def test_a_stopped_prometheus_is_could_not_check_at_once(stacks: Callable[..., Stack], gate: Callable[..., GateRun],
                                                         gate_reports: Path, tmp_path: Path,
                                                         sandbox: Standalone) -> None:
    stack = stacks(sandbox.url)
    stack.stop()  # Prometheus down: nothing listens there any more (and the Turkish steps ask it the same)
    run = against(gate, gate_reports, sandbox, stack.prometheus_url, profile(tmp_path), "-m", "hypercare",
                  "-k", "alerting", "--lang", "tr")
    got = run.line("hc_alerting_active")
    assert got["result"] == "FAIL", got
    assert "could not check: Prometheus /api/v1/query: connection refused" in got["message"], got


def test_t0_lists_the_firing_alerts_and_its_instant_starts_the_first_round(
        stacks: Callable[..., Stack], gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path,
        sandbox: Standalone) -> None:
    """The embedded sandbox's T-0 and hypercare in one run, under the monitoring fault `critical_alert_firing` (a rule
    firing for the target, `vector(1)` labelled for it): the alert is evidence at T-0, raises the row alert_map gives
    it and fails the fault's line; the round's range starts at T-0's instant."""
    fault = BY_NAME["critical_alert_firing"]
    stack = stacks(sandbox.url, **MONITORING_VARIANTS[fault.name])
    traffic(stack, sandbox.url)
    wait_for(lambda: stack.firing("HighErrorRate"), "the synthetic alert firing")
    run = gate(gate_reports, "-m", "t0 or hypercare", f"--profile={profile(tmp_path)}",
               env={"CUTOVER_PROMETHEUS_URL": stack.prometheus_url})
    out = run.output[-3000:]
    line = run.line(fault.line)
    t0 = line["evidence"]["prometheus_baseline"]
    assert [a["row"] for a in t0["alerts_firing"]] == [fault.trigger], (t0, out)
    assert line["result"] == fault.expect, (line["message"], out)
    assert line["message"].startswith("the report's closing scenario failed: step 'And the metrics are kept as the "
                                      "hypercare baseline': at T-0 Prometheus has alerts firing for the target that "
                                      "roll back at once: HighErrorRate{"), line["message"]
    assert line["message"].endswith("(payout_withdraw_http_error)"), line["message"]
    assert line["evidence"]["metrics_baseline"].get("unavailable") is None  # the baseline is kept all the same
    trigger = next(t for t in run.decision["triggers"] if t["row"] == fault.trigger)
    assert trigger["evidence"].startswith("at T-0 Prometheus alert HighErrorRate"), trigger
    assert run.decision["decision"] == "NO-GO"
    (first,) = watch_rounds(run)
    assert first["interval"]["basis"] == "t0_baseline" and first["interval"]["from"] == t0["at"], first
    assert first["alerts_firing"] and "payout_withdraw_http_error" in first["triggers"]


def test_with_the_default_scrape_source_t15_alerting_is_not_run_and_holds_no_go(gate: Callable[..., GateRun],
                                                                               gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t15")
    line = run.line("t15_alerting_active")
    assert line["result"] == "NOT_RUN" and 'source = "prometheus"' in line["message"], line
    assert line["mandatory"] is False and run.decision["phases"]["t15"] == "PASS", run.output[-3000:]
    assert run.returncode == 0
