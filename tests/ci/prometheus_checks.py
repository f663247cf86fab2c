"""Validators of the Prometheus recipe of `docs/ci/` (`prometheus-rules.yaml`, `prometheus.md`): each returns the
problems it finds, an empty list when there are none.

The real `promtool` (Debian's `prometheus` package) checks the rule group extracted from the PrometheusRule manifest
(`promtool check rules`), proves with its unit tests (`promtool test rules`) that each of the runbook's four alerts
fires at the runbook's threshold with the labels the profile selects it by, and that none fires on a healthy platform,
and checks the recipe profile's PromQL (wrapped as recording rules). The structural checks hold the manifest to the
PrometheusRule fields (no CRD schema offline) and the names to the profiles: the recipe's `[metrics] alert_rules` and
the sandbox's own (`fixtures/prometheus/profile.toml`, the one the alerting tests prove against real servers).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cutover_gate.config.profile_metrics import ALERT_KINDS, RANGE, Metrics

from .recipe_checks import CI_DIR, ROOT, inline_value_problems, manifest_problems

PROM_RULES = CI_DIR / "prometheus-rules.yaml"
PROM_RECIPE = CI_DIR / "prometheus.md"
SANDBOX_PROFILE = ROOT / "fixtures" / "prometheus" / "profile.toml"
JOB = "payments"
SEVERITIES = ("critical", "warning")
SPEC_FIELDS = {"groups"}
GROUP_FIELDS = {"name", "interval", "rules", "limit", "partial_response_strategy"}
ALERT_FIELDS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
NUMBER_QUERIES = ("error_rate", "requests", "p95_seconds")
_TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)
_YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)

_SERIES = 'http_requests_total{{job="{job}",handler="{handler}",method="{method}",status="{status}"}}'
_BUCKET = 'http_request_duration_seconds_bucket{{job="{job}",handler="/api/v1/player/wallet",method="GET",le="{le}"}}'


def _requests(handler: str, method: str, status: str, values: str) -> dict[str, str]:
    return {"series": _SERIES.format(job=JOB, handler=handler, method=method, status=status), "values": values}


def _bucket(le: str, values: str) -> dict[str, str]:
    return {"series": _BUCKET.format(job=JOB, le=le), "values": values}


_UP = {"series": f'up{{job="{JOB}",instance="payments-0:8000"}}', "values": "1x60"}
_HEALTHY = [_requests("/api/v1/player/wallet/withdraw", "POST", "2xx", "0+100x60"),
            _requests("/api/v1/player/wallet/withdraw", "POST", "5xx", "0x60"),
            _requests("/api/v1/payments/webhook/stripe", "POST", "2xx", "0+5x60"),
            _bucket("0.5", "0+10x60"), _bucket("1", "0+10x60"), _bucket("+Inf", "0+10x60"), _UP]
FIRING: dict[str, tuple[list[dict[str, str]], str]] = {
    # 2 in 102 requests answered 5xx (~2%, over 1%) for 15 minutes
    "5xx": ([_requests("/api/v1/player/wallet/withdraw", "POST", "2xx", "0+100x60"),
             _requests("/api/v1/player/wallet/withdraw", "POST", "5xx", "0+2x60"), _UP], "15m"),
    # every request between 0.5 and 1 s (p95 ~0.98 s, over 0.8 s) for 20 minutes
    "latency": ([_bucket("0.5", "0x60"), _bucket("1", "0+10x60"), _bucket("+Inf", "0+10x60"), _UP], "20m"),
    # the target not scraped (down) for 5 minutes
    "db": ([{"series": f'up{{job="{JOB}",instance="payments-0:8000"}}', "values": "0x60"}], "5m"),
    # a PSP webhook answered 5xx every 30 s for 5 minutes
    "webhook": ([_requests("/api/v1/payments/webhook/stripe", "POST", "5xx", "0+1x60"), _UP], "5m"),
}
"""For each of the runbook's alerts, input series (every 30 s) under which it must be firing at the given time."""


def load_manifest(path: Path = PROM_RULES) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rule_groups(doc: Any) -> dict[str, Any]:
    """The rule file a PrometheusRule stands for: its `spec.groups` as `groups:`."""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    return {"groups": (spec or {}).get("groups") or []}


def alerts(doc: Any) -> dict[str, dict[str, Any]]:
    """Alert name -> its rule, over every group of the manifest."""
    return {str(r["alert"]): r for g in rule_groups(doc)["groups"] if isinstance(g, dict)
            for r in g.get("rules") or [] if isinstance(r, dict) and "alert" in r}


def profile_alert_rules(path: Path = SANDBOX_PROFILE) -> dict[str, str]:
    return dict(tomllib.loads(path.read_text(encoding="utf-8"))["metrics"]["alert_rules"])


def promtool(files: Mapping[str, Any], *command: str) -> list[str]:
    """Run `promtool <command> <first file>` on the files written (YAML) into a temporary directory."""
    exe = shutil.which("promtool")
    if exe is None:
        return ["promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)"]
    with tempfile.TemporaryDirectory(prefix="promtool-") as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        proc = subprocess.run([exe, *command, next(iter(files))], cwd=tmp, capture_output=True, text=True,
                              timeout=120, check=False)
    return [] if proc.returncode == 0 else [f"promtool {' '.join(command)}: {proc.stdout}{proc.stderr}".strip()]


def unit_tests(doc: Any, alert_rules: Mapping[str, str]) -> dict[str, Any]:
    """promtool's unit tests: each kind's alert firing under its series, with the job label and its own severity and
    annotations; on a healthy platform none of them."""
    rules = alerts(doc)
    tests: list[dict[str, Any]] = []
    for kind, (series, at) in FIRING.items():
        name = alert_rules.get(kind, "")
        rule = rules.get(name, {})
        labels = {"job": JOB, **{str(k): str(v) for k, v in (rule.get("labels") or {}).items()}}
        expected = {"exp_labels": labels, "exp_annotations": dict(rule.get("annotations") or {})}
        tests.append({"name": f"{kind}: {name} fires", "interval": "30s", "input_series": series,
                      "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": [expected]}]})
    tests.append({"name": "a healthy platform fires nothing", "interval": "30s", "input_series": _HEALTHY,
                  "alert_rule_test": [{"eval_time": "20m", "alertname": name, "exp_alerts": []} for name in rules]})
    return {"rule_files": ["rules.yml"], "evaluation_interval": "30s", "tests": tests}


def prometheus_rule_problems(doc: Any, alert_rules: Mapping[str, str]) -> list[str]:
    """The manifest as the Prometheus Operator reads it, its expressions as promtool reads them, and its alerts as
    the profile (`alert_rules`, alert_labels job) expects them: loaded, firing when they must, silent otherwise."""
    problems = manifest_problems(doc, "monitoring.coreos.com/v1", "PrometheusRule")
    if problems is None:
        return ["not a mapping"]
    meta = doc.get("metadata") or {}
    if not meta.get("name") or not meta.get("labels"):
        problems.append("metadata needs a name and the labels the Prometheus resource's ruleSelector picks")
    spec = doc.get("spec") or {}
    problems += [f"spec.{k}: not a field of PrometheusRule" for k in sorted(set(spec) - SPEC_FIELDS)]
    problems += inline_value_problems(spec)
    for i, group in enumerate(rule_groups(doc)["groups"]):
        problems += [f"spec.groups[{i}].{k}: not a field of a rule group"
                     for k in sorted(set(group) - GROUP_FIELDS)] if isinstance(group, dict) else []
    found = alerts(doc)
    for name, rule in found.items():
        problems += [f"alert {name}: {k} is not a field of an alerting rule" for k in sorted(set(rule) - ALERT_FIELDS)]
        if (rule.get("labels") or {}).get("severity") not in SEVERITIES:
            problems.append(f"alert {name}: labels.severity must be one of {', '.join(SEVERITIES)}")
        if not rule.get("for"):
            problems.append(f"alert {name}: no `for:` (the runbook's signals hold for minutes before they page)")
        if f'job="{JOB}"' not in str(rule.get("expr", "")):
            problems.append(f'alert {name}: its expression does not select job="{JOB}" (the profile\'s alert_labels)')
    for kind in ALERT_KINDS:
        name = alert_rules.get(kind)
        if name not in found:
            problems.append(f"{kind}: the profile's alert {name!r} is not in the manifest")
    if problems:
        return problems
    problems += promtool({"rules.yml": rule_groups(doc)}, "check", "rules")
    if not problems:
        problems += promtool({"tests.yml": unit_tests(doc, alert_rules), "rules.yml": rule_groups(doc)},
                             "test", "rules")
    return problems


def recipe_profile(text: str) -> dict[str, Any]:
    """The recipe's profile: its first ```toml block. ValueError when there is none or it is not TOML."""
    block = _TOML_BLOCK.search(text)
    if block is None:
        raise ValueError("no ```toml block (the profile's [metrics])")
    try:
        return tomllib.loads(block.group(1))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the ```toml block is not TOML: {exc}") from None


def prometheus_recipe_problems(text: str, doc: Any, sandbox_rules: Mapping[str, str]) -> list[str]:
    """The recipe's profile is a valid `[metrics]` of the gate (its own model), names the manifest's alerts (the
    same the sandbox's profile names), selects the manifest's job, and every query is PromQL promtool accepts."""
    problems = [f"the recipe does not name {n}" for n in ("CUTOVER_PROMETHEUS_URL", "/api/v1/alertmanagers",
                                                          "NetworkPolicy") if n not in text]
    if "](prometheus-rules.yaml)" not in text:
        problems.append("the recipe does not link prometheus-rules.yaml, the rules it describes")
    for block in _YAML_BLOCK.findall(text):
        try:
            yaml.safe_load(block)
        except yaml.YAMLError as exc:
            problems.append(f"a ```yaml block is not YAML: {str(exc).splitlines()[0]}")
    try:
        metrics = Metrics.model_validate(recipe_profile(text).get("metrics"))
    except (ValueError, ValidationError) as exc:
        return [*problems, f"the recipe's [metrics]: {str(exc).splitlines()[0]}"]
    if metrics.source != "prometheus":
        problems.append(f'source must be "prometheus", not {metrics.source!r}')
    rules = {str(k): v for k, v in metrics.alert_rules.items()}
    if rules != dict(sandbox_rules):
        problems.append(f"alert_rules {rules} differ from the sandbox profile's {dict(sandbox_rules)}")
    problems += prometheus_rule_problems(doc, rules)
    if metrics.alert_labels.get("job") != JOB:
        problems.append(f'alert_labels must select job = "{JOB}", the manifest\'s')
    unknown = sorted(set(metrics.alert_map) - set(alerts(doc)) - set(SEVERITIES))
    problems += [f"alert_map maps {name!r}, neither an alert of the manifest nor a severity" for name in unknown]
    queries = {name: q for name, q in metrics.queries.model_dump().items() if q}
    problems += [f"[metrics.queries] {name} is not set" for name in NUMBER_QUERIES if name not in queries]
    for name, query in queries.items():
        if RANGE not in query:
            problems.append(f"query {name}: no {RANGE} (the watch interval) in it")
        if f'job="{JOB}"' not in query:
            problems.append(f'query {name}: does not select job="{JOB}"')
    recorded = [{"record": f"cutover:{name}", "expr": q.replace(RANGE, "[5m]")} for name, q in queries.items()]
    if recorded:
        problems += promtool({"queries.yml": {"groups": [{"name": "recipe-queries", "rules": recorded}]}},
                             "check", "rules")
    return problems
