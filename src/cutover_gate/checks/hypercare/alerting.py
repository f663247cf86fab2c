"""Alerting proven where it lives (hc_alerting_active, t15_alerting_active with `[metrics] source = "prometheus"`),
and the alerts firing for the target as evidence of a round.

- The rules: for each of 5xx, latency, db and webhook the alert (or rule group) the profile names is loaded, its
  health is `ok`, and the server evaluated it within the last two intervals of its group.
- The delivery: Prometheus has an active Alertmanager; it answers `/api/v2/status`; its configuration's route tree
  sends each named alert to a receiver with an integration (some `*_configs`). A tree that sends everything to a
  receiver without one is "alerts go nowhere".
- Firing: the alerts of `/api/v1/alerts` carrying `[metrics] alert_labels`; `alert_map` maps an alert's name, or
  its severity, to the rollback-matrix row it raises; an unmapped one is listed, never judged.

Plain functions over the API's answers; `inspect` asks through checks/hypercare/prometheus.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from cutover_gate.checks.hypercare.prometheus import ALERTMANAGER, PROMETHEUS, Deadline, PromApi, PromError
from cutover_gate.config.profile_metrics import ALERT_KINDS, Metrics
from cutover_gate.core.clock import iso, parse_time
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

LabelSet = Mapping[str, str]


# -- the rules ---------------------------------------------------------------------------------------------------
def named_rules(groups: Sequence[Mapping[str, Any]], wanted: str) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(group, rule) of every alerting rule called `wanted`, or of every alerting rule of a group called so."""
    out = []
    for group in groups:
        alerting = [r for r in group.get("rules") or [] if isinstance(r, Mapping) and r.get("type") == "alerting"]
        if group.get("name") == wanted:
            out += [(group, r) for r in alerting]
        else:
            out += [(group, r) for r in alerting if r.get("name") == wanted]
    return out


def _staleness(group: Mapping[str, Any], rule: Mapping[str, Any], now: datetime) -> Reason | None:
    """Why the rule is not evaluated on time, or None."""
    last = parse_time(rule.get("lastEvaluation") or group.get("lastEvaluation"))
    if last is None or last.year < 2000:
        return Reason.of(N_("has never been evaluated"))
    try:
        interval = float(group.get("interval") or 0)
    except (TypeError, ValueError):
        interval = 0.0
    age = (now - last).total_seconds()
    if interval > 0 and age > 2 * interval:
        return Reason.of(N_("was last evaluated %(age)s s ago (%(at)s), more than two evaluation intervals "
                            "(2 x %(interval)s s)"), age=f"{age:.0f}", at=iso(last), interval=f"{interval:g}")
    return None


@dataclass
class RulesView:
    problems: list[Reason] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    labelsets: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """kind -> the labels each named alert carries (its name and the rule's labels), for the routing check."""


def judge_rules(groups: Sequence[Mapping[str, Any]], alert_rules: Mapping[str, str], now: datetime,
                alert_labels: LabelSet | None = None) -> RulesView:
    """Each of the four kinds has a named, healthy alert rule evaluated within two intervals of its group."""
    view = RulesView()
    for kind in ALERT_KINDS:
        wanted = alert_rules.get(kind)
        if not wanted:
            view.problems.append(Reason.of(N_("%(kind)s: [metrics.alert_rules] names no alert for it"), kind=kind))
            continue
        found = named_rules(groups, wanted)
        if not found:
            view.problems.append(Reason.of(N_("%(kind)s: no alert rule or rule group '%(wanted)s' is loaded in "
                                              "Prometheus"), kind=kind, wanted=wanted))
            view.evidence[kind] = {"wanted": wanted, "found": []}
            continue
        seen = []
        for group, rule in found:
            name, gname = str(rule.get("name")), str(group.get("name"))
            where = Reason.of(N_("%(kind)s: alert '%(name)s' (group '%(group)s')"), kind=kind, name=name, group=gname)
            health = str(rule.get("health", "unknown"))
            if health != "ok":
                error = str(rule.get("lastError") or "").strip()
                view.problems.append(
                    Reason.of(N_("%(where)s is not healthy: health %(health)s: %(error)s"), where=where, health=health,
                              error=error[:200]) if error else
                    Reason.of(N_("%(where)s is not healthy: health %(health)s"), where=where, health=health))
            elif stale := _staleness(group, rule, now):
                view.problems.append(Reason.of(N_("%(where)s %(stale)s"), where=where, stale=stale))
            labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
            view.labelsets.setdefault(kind, []).append({**(alert_labels or {}), **labels, "alertname": name})
            seen.append({"alert": name, "group": gname, "health": health, "interval_s": group.get("interval"),
                         "last_evaluation": rule.get("lastEvaluation"), "state": rule.get("state"),
                         "query": str(rule.get("query", ""))[:300]})
        view.evidence[kind] = {"wanted": wanted, "found": seen}
    return view


# -- Alertmanager's route tree -----------------------------------------------------------------------------------
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,}]*)')


def matchers(route: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, op, value) of a route's `matchers`, and of its older `match` / `match_re`."""
    out: list[tuple[str, str, str]] = []
    for text in route.get("matchers") or []:
        for name, op, raw in _MATCHER.findall(str(text)):
            value = raw.strip()
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            out.append((name, op, value))
    out += [(str(k), "=", str(v)) for k, v in (route.get("match") or {}).items()]
    out += [(str(k), "=~", str(v)) for k, v in (route.get("match_re") or {}).items()]
    return out


def matches(route: Mapping[str, Any], labels: LabelSet) -> bool:
    for name, op, value in matchers(route):
        have = labels.get(name, "")
        try:
            hit = have == value if op in ("=", "!=") else re.fullmatch(value, have) is not None
        except re.error:
            return False
        if hit != (op in ("=", "=~")):
            return False
    return True


def route_of(route: Mapping[str, Any], labels: LabelSet, inherited: str = "") -> list[str]:
    """The receivers Alertmanager sends an alert with `labels` to (its routing: the first matching child unless it
    says `continue`, the route itself when no child matches)."""
    receiver = str(route.get("receiver") or inherited)
    out: list[str] = []
    for child in route.get("routes") or []:
        if isinstance(child, Mapping) and matches(child, labels):
            out += route_of(child, labels, receiver)
            if not child.get("continue"):
                break
    return out or [receiver]


def used_receivers(route: Mapping[str, Any], inherited: str = "") -> list[str]:
    receiver = str(route.get("receiver") or inherited)
    out = [receiver]
    for child in route.get("routes") or []:
        if isinstance(child, Mapping):
            out += used_receivers(child, receiver)
    return list(dict.fromkeys(out))


def integrations(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """Receiver -> its integrations (the `*_configs` it has entries in)."""
    return {str(r.get("name")): sorted(k for k, v in r.items() if k.endswith("_configs") and v)
            for r in config.get("receivers") or [] if isinstance(r, Mapping)}


def judge_config(text: str, labelsets: Mapping[str, Sequence[LabelSet]]) -> tuple[list[Reason], dict[str, Any]]:
    """Alertmanager's configuration (`config.original`): the route tree uses a receiver with an integration, and
    each kind's alerts reach one."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [Reason.of(N_("%(manager)s's configuration is not YAML: %(error)s"), manager=ALERTMANAGER,
                          error=str(exc)[:200])], {}
    route = config.get("route") if isinstance(config, Mapping) else None
    if not isinstance(route, Mapping) or not route.get("receiver"):
        return [Reason.of(N_("%(manager)s's configuration has no route with a receiver: alerts go nowhere"),
                          manager=ALERTMANAGER)], {}
    wired = integrations(config)
    used = used_receivers(route)
    evidence: dict[str, Any] = {"receivers": wired, "used": used}
    live = [r for r in used if wired.get(r)]
    if not live:
        shown = ", ".join(f"'{r}'" for r in used)
        return [Reason.of(N_("alerts go nowhere: %(manager)s's route tree sends every alert to %(receivers)s, with "
                             "no integration (no *_configs)"), manager=ALERTMANAGER, receivers=shown)], evidence
    problems: list[Reason] = []
    routed = {}
    for kind, sets in labelsets.items():
        for labels in sets:
            to = route_of(route, labels)
            routed[labels.get("alertname", kind)] = to
            if not any(wired.get(r) for r in to):
                problems.append(Reason.of(N_("%(kind)s: alerts go nowhere: '%(alert)s' is routed to %(receivers)s, "
                                             "with no integration (no *_configs)"), kind=kind,
                                          alert=labels.get("alertname"), receivers=", ".join(repr(r) for r in to)))
    evidence["routed"] = routed
    return problems, evidence


# -- firing alerts -------------------------------------------------------------------------------------------------
def for_target(alerts: Sequence[Mapping[str, Any]], alert_labels: LabelSet) -> list[Mapping[str, Any]]:
    """The firing alerts carrying every label of `alert_labels`."""
    return [a for a in alerts if a.get("state") == "firing"
            and all((a.get("labels") or {}).get(k) == v for k, v in alert_labels.items())]


def describe(alert: Mapping[str, Any]) -> str:
    labels = dict(alert.get("labels") or {})
    name = labels.pop("alertname", "?")
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    since = parse_time(alert.get("activeAt"))
    return f"{name}{{{shown}}} firing" + (f" since {iso(since)}" if since else "")


def row_of(alert: Mapping[str, Any], alert_map: Mapping[str, str]) -> str | None:
    """The rollback-matrix row of an alert: by its name, else by its severity."""
    labels = alert.get("labels") or {}
    return alert_map.get(str(labels.get("alertname", ""))) or alert_map.get(str(labels.get("severity", "")))


def firing(alerts: Sequence[Mapping[str, Any]], metrics: Metrics) -> list[dict[str, Any]]:
    """The target's firing alerts as evidence: each described, with the row it maps to (None: listed only)."""
    return [{"alert": describe(a), "labels": dict(a.get("labels") or {}), "active_at": a.get("activeAt"),
             "value": a.get("value"), "row": row_of(a, metrics.alert_map)}
            for a in for_target(alerts, metrics.alert_labels)]


# -- the whole check -------------------------------------------------------------------------------------------------
@dataclass
class AlertingView:
    unchecked: str | None = None
    """Prometheus could not be asked at all: why (in English; `unchecked_reason` is its record)."""
    unchecked_reason: Reason | None = None
    rules: list[Reason] = field(default_factory=list)
    delivery: list[Reason] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> list[Reason]:
        if self.unchecked:
            return [Reason.of(N_("could not check: %(cause)s"),
                              cause=self.unchecked_reason or Reason.verbatim(self.unchecked))]
        return [*self.rules, *self.delivery]


def server_now(api: PromApi, deadline: Deadline) -> datetime:
    """Prometheus' own clock (the rules' evaluation times are on it): the time of an instant query of `time()`."""
    data = api.query("time()", None, deadline)
    result = data.get("result")
    now = parse_time(float(result[0])) if isinstance(result, list) and result else None
    if now is None:
        raise PromError(Reason.of(N_("%(server)s /api/v1/query: time() answered no time"), server=PROMETHEUS))
    return now


def _delivery(api: PromApi, deadline: Deadline, labelsets: Mapping[str, Sequence[LabelSet]],
              evidence: dict[str, Any]) -> list[Reason]:
    try:
        managers, dropped = api.alertmanagers(deadline)
    except PromError as exc:
        return [Reason.of(N_("could not check: %(cause)s"), cause=exc.reason)]
    evidence["alertmanagers"] = {"active": managers, "dropped": dropped}
    if not managers:
        return [Reason.of(N_("no Alertmanager attached: Prometheus lists no active Alertmanager "
                             "(/api/v1/alertmanagers, %(dropped)s dropped)"), dropped=dropped) if dropped else
                Reason.of(N_("no Alertmanager attached: Prometheus lists no active Alertmanager "
                             "(/api/v1/alertmanagers)"))]
    unreachable: list[str] = []
    causes: list[Reason] = []
    for base in managers:
        try:
            status = api.alertmanager_status(base, deadline)
        except PromError as exc:
            unreachable.append(str(exc))
            causes.append(exc.reason)
            continue
        evidence["alertmanager"] = {"address": base, "cluster": (status.get("cluster") or {}).get("status"),
                                    "version": (status.get("versionInfo") or {}).get("version"),
                                    "uptime": status.get("uptime")}
        text = (status.get("config") or {}).get("original")
        if not isinstance(text, str) or not text.strip():
            return [Reason.of(N_("%(manager)s at %(address)s shows no configuration (/api/v2/status config.original)"),
                              manager=ALERTMANAGER, address=base)]
        problems, routing = judge_config(text, labelsets)
        evidence["routing"] = routing
        if unreachable:
            evidence["alertmanagers"]["unreachable"] = unreachable
        return [Reason.of(N_("%(manager)s at %(address)s: %(problem)s"), manager=ALERTMANAGER, address=base, problem=p)
                for p in problems]
    return [Reason.of(N_("could not check: %(cause)s"), cause=tuple(causes))]


def inspect(api: PromApi, metrics: Metrics) -> AlertingView:
    """Rules, Alertmanager and the target's firing alerts, all within `metrics.deadline_s`."""
    deadline = Deadline(metrics.deadline_s)
    view = AlertingView(evidence={"source": "prometheus", "deadline_s": metrics.deadline_s})
    try:
        now = server_now(api, deadline)
        groups = api.rule_groups(deadline)
    except PromError as exc:
        view.unchecked, view.unchecked_reason = str(exc), exc.reason
        return view
    rules = judge_rules(groups, {str(k): v for k, v in metrics.alert_rules.items()}, now, metrics.alert_labels)
    view.rules, view.evidence["rules"], view.evidence["checked_at"] = rules.problems, rules.evidence, iso(now)
    view.delivery = _delivery(api, deadline, rules.labelsets, view.evidence)
    try:
        view.evidence["firing"] = firing(api.alerts(deadline), metrics)
    except PromError as exc:
        view.evidence["firing"] = f"not read: {exc}"
    view.evidence["took_s"] = round(deadline.seconds - deadline.remaining(), 3)
    return view
