"""The Prometheus recipe of `docs/ci/`: the PrometheusRule passes the real `promtool` (its
expressions, and unit tests proving each alert fires at the runbook's threshold with the labels the profile selects,
and none on a healthy platform), and the recipe's profile is the gate's own `[metrics]`, naming the manifest's alerts
as the sandbox's profile does. Every validator is shown to reject a broken copy, so none passes vacuously.

promtool comes with Debian's `prometheus` package (.ci/run installs it): without it these tests skip saying so.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from . import prometheus_checks as pc

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None,
                                reason="promtool not installed (Debian: apt-get install prometheus; .ci/run installs "
                                       "it): no real tool to check the rules with")

Mutation = Callable[[Any], None]


@pytest.fixture(scope="module")
def manifest() -> Any:
    return pc.load_manifest()


@pytest.fixture(scope="module")
def recipe() -> str:
    return pc.PROM_RECIPE.read_text(encoding="utf-8")


def _rule(doc: Any, name: str) -> dict[str, Any]:
    return pc.alerts(doc)[name]


def test_the_sandbox_profile_names_an_alert_for_each_kind_the_alerting_lines_check() -> None:
    assert sorted(pc.profile_alert_rules()) == sorted(pc.ALERT_KINDS)


def test_the_rule_manifest_passes_promtool_and_fires_each_alert_as_the_profile_expects(manifest: Any) -> None:
    assert pc.prometheus_rule_problems(manifest, pc.profile_alert_rules()) == []


def test_the_recipe_profile_is_valid_and_its_queries_pass_promtool(recipe: str, manifest: Any) -> None:
    assert pc.prometheus_recipe_problems(recipe, manifest, pc.profile_alert_rules()) == []


RULE_BREAKAGES: dict[str, tuple[Mutation, str]] = {
    "not the operator's group": (lambda d: d.update(apiVersion="monitoring.coreos.com/v2"),
                                 "monitoring.coreos.com/v1"),
    "no selector label": (lambda d: d["metadata"].pop("labels"), "ruleSelector"),
    "misspelt spec field": (lambda d: d["spec"].update(group=[]), "spec.group: not a field"),
    "an alert left out": (lambda d: d["spec"]["groups"][0]["rules"].pop(3), "'WebhookFailures' is not in the manifest"),
    "an alert renamed": (lambda d: _rule(d, "LatencyHigh").update(alert="LatencyTooHigh"),
                         "'LatencyHigh' is not in the manifest"),
    "no severity": (lambda d: _rule(d, "HighErrorRate")["labels"].pop("severity"), "labels.severity"),
    "another job": (lambda d: _rule(d, "ReadinessFailing").update(
        expr=_rule(d, "ReadinessFailing")["expr"].replace('job="payments"', 'job="api"')), 'select job="payments"'),
    "an expression that does not parse (promtool check)": (lambda d: _rule(d, "HighErrorRate").update(
        expr=_rule(d, "HighErrorRate")["expr"].replace("[5m]", "[5 minutes]", 1)), "promtool check rules"),
    "an invalid duration (promtool check)": (lambda d: _rule(d, "WebhookFailures").update({"for": "a minute"}),
                                             "promtool check rules"),
    "a threshold that never fires (promtool test)": (lambda d: _rule(d, "HighErrorRate").update(
        expr=_rule(d, "HighErrorRate")["expr"].replace("> 0.01", "> 0.5")), "promtool test rules"),
    "the job label aggregated away (promtool test)": (lambda d: _rule(d, "WebhookFailures").update(
        expr=_rule(d, "WebhookFailures")["expr"].replace("sum by (job) ", "sum ")), "promtool test rules"),
    "an alert that always fires (promtool test)": (lambda d: _rule(d, "LatencyHigh").update(
        expr='vector(1) * on() group_left max by (job) (up{job="payments"})'), "promtool test rules"),
    "a latency alert too slow to page (promtool test)": (lambda d: _rule(d, "LatencyHigh").update({"for": "30m"}),
                                                         "promtool test rules"),
}


@pytest.mark.parametrize("breakage", sorted(RULE_BREAKAGES))
def test_the_rule_check_rejects_a_broken_copy(manifest: Any, breakage: str) -> None:
    mutate, expected = RULE_BREAKAGES[breakage]
    broken = copy.deepcopy(manifest)
    mutate(broken)
    problems = pc.prometheus_rule_problems(broken, pc.profile_alert_rules())
    assert any(expected in p for p in problems), problems


RECIPE_BREAKAGES: dict[str, tuple[str, str, str]] = {
    "the manifest not named": ("[`prometheus-rules.yaml`](prometheus-rules.yaml)", "the manifest",
                               "does not link prometheus-rules.yaml"),
    "another source": ('source = "prometheus"\ndeadline_s', 'source = "scrape"\ndeadline_s', "source must be"),
    "a misspelt key (the gate's model)": ("\nalert_labels = {", "\nalert_label = {", "the recipe's [metrics]"),
    "an unknown row (the gate's model)": ('"latency_spike" }', '"latency_spiked" }', "the recipe's [metrics]"),
    "an alert the sandbox does not name": ('webhook = "WebhookFailures" }', 'webhook = "WebhookErrors" }',
                                           "differ from the sandbox profile's"),
    "another job": ('\nalert_labels = { job = "payments" }', '\nalert_labels = { job = "api" }',
                    'alert_labels must select job = "payments"'),
    "a query without its range": ("{range}))'\np95_seconds", "[5m]))'\np95_seconds", "query requests: no {range}"),
    "a query that does not parse (promtool)": ("histogram_quantile(0.95,", "histogram_quantile(0.95,,",
                                               "promtool check rules"),
    "p95 not asked": ("p95_seconds = '''\nhistogram_quantile(0.95,\n  sum by (le) (increase(http_request_duration_"
                      "seconds_bucket{job=\"payments\",handler!=\"/metrics\"}{range})))'''\n", "",
                      "p95_seconds is not set"),
    "an example that is not YAML": ("  endpoints: [{port: http", "  endpoints: [{port: http: x", "not YAML"),
}


@pytest.mark.parametrize("breakage", sorted(RECIPE_BREAKAGES))
def test_the_recipe_check_rejects_a_broken_copy(recipe: str, manifest: Any, breakage: str) -> None:
    old, new, expected = RECIPE_BREAKAGES[breakage]
    assert old in recipe, f"the mutation's anchor {old!r} is gone from prometheus.md: update the test"
    problems = pc.prometheus_recipe_problems(recipe.replace(old, new, 1), manifest, pc.profile_alert_rules())
    assert any(expected in p for p in problems), problems
