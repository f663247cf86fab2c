"""Webhook-like routes nobody declared (T-0, `t0_webhook_signature`): a second PSP's forgotten callback is the same
hole as an unsigned declared one. Found in the OpenAPI document when the platform serves one (path parameters filled
with PSP names or [discovery] path_values), and always by the built-in catalogue of callback shapes, asked with a
bodiless OPTIONS (checks/discovery.py). Each route found gets unsigned events shaped like real ones (every declared
route's template, the generic event, and the generic event wrongly signed), filled with the canary's own values;
what its answers prove is checks/unsigned.py's rule: a PASS needs proof, anything unproven leaves the line NOT_RUN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_bdd import then, when

from cutover_gate.checks import discovery, unsigned
from cutover_gate.checks.canary import balance
from cutover_gate.checks.kit import UNDECLARED_EVENTS
from cutover_gate.config import route_catalogue
from cutover_gate.core.catalogue import ROW_SECURITY_INCIDENT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.target import signing
from cutover_gate.target.calls import fill
from cutover_gate.target.client import TargetClient
from steps.ahead import taken
from steps.common import CALLBACK_SURVEY, Shared, callback_survey
from steps.webhooks import Kit, event_values, routes

BOGUS_SIGNATURE = "0" * 64


@dataclass
class Found:
    probe: dict[str, str] = field(default_factory=dict)
    """Path -> how the gate knows it (the OpenAPI document, the catalogue)."""
    unproven: dict[str, Reason] = field(default_factory=dict)
    """Found or possible but not probed, with the reason."""
    acknowledged: dict[str, str] = field(default_factory=dict)
    source: str = ""
    survey: discovery.Survey = field(default_factory=discovery.Survey)


@when("I look for the webhook-like routes nobody declared", target_fixture="webhook_like")
@when("kimsenin bildirmediği webhook benzeri route'ları ararım", target_fixture="webhook_like")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Found:
    p = target.profile
    acknowledged = p.model.discovery.acknowledged
    declared = {p.call(r.call).path for r in routes(target).values()}
    seen = taken(shared, CALLBACK_SURVEY, lambda: callback_survey(target, shared))  # started with the run
    documented, source = seen.documented
    survey = seen.catalogue
    found = Found(source=source)
    for route in discovery.matching(documented or [], p.probe("webhook_route_words")):
        if "POST" not in route.methods:
            continue  # it takes no event
        concrete, unfilled = route_catalogue.fill_parameters(route.path, p)
        if unfilled:
            found.unproven[route.path] = Reason.of(N_("documented, with path parameter(s) %(parameters)s nothing "
                                                      "fills: give values in [discovery] path_values"),
                                                   parameters=", ".join(unfilled))
        found.probe.update((c, "the OpenAPI document") for c in concrete if c not in declared)
    found.probe.update((e.path, f"the route catalogue ({e.why.text()})") for e in survey.of("mounted")
                       if e.path not in found.probe)
    found.survey = survey
    for path in [*found.probe, *found.unproven]:
        if path in acknowledged:
            found.acknowledged[path] = acknowledged[path]
            found.probe.pop(path, None)
            found.unproven.pop(path, None)
    evidence.put("openapi", source)
    evidence.put("discovery", survey.summary())
    evidence.put("found", found.probe)
    evidence.put("acknowledged", found.acknowledged)
    evidence.put("not_probed", {path: why.text() for path, why in list(found.unproven.items())[:20]})
    return found


def events(target: TargetClient, kit: Kit) -> list[tuple[Reason, bytes, dict[str, str]]]:
    """(which, raw body, headers): every declared route's event unsigned, then the generic event unsigned and
    wrongly signed; all name the canary and its completed transactions, nobody else."""
    out = []
    for name, route in routes(target).items():
        subject = (kit.shared.paid_withdrawal if route.completes == "payout" else None) or kit.shared.completed_deposit
        values = event_values(target, kit, subject or "", route.outcomes.get("paid", "paid"))
        forged = signing.forge(name, route, values, None)
        out.append((Reason.of(N_("unsigned %(name)s-shaped"), name=name), forged.body, forged.headers))
    values = event_values(target, kit, kit.shared.completed_deposit or "")
    generic = signing.encode(fill(route_catalogue.catalogue().generic_event, values, N_("the generic event")))
    plain = {"Content-Type": "application/json"}
    forged_headers = dict.fromkeys(target.profile.probe("signature_headers"), BOGUS_SIGNATURE)
    out += [(Reason.of(N_("unsigned generic")), generic, plain),
            (Reason.of(N_("wrongly signed generic")), generic, {**plain, **forged_headers})]
    return out


def probe_route(target: TargetClient, kit: Kit, path: str, source: str) -> unsigned.RouteJudgement:
    judged = unsigned.RouteJudgement(path, source)
    before = balance(target, kit.player.token)
    for which, body, headers in events(target, kit):
        try:
            resp = UNDECLARED_EVENTS.post_to(target, path, data=body, headers=headers, may_move_money=False)
        except CheckFailed as exc:
            if target.breaker.down_since is not None:
                raise
            kit.shared.footprint.webhook(path, "-", which.text(), None)
            judged.answers.append(unsigned.no_answer(path, which, exc))
            continue
        kit.shared.footprint.webhook(path, "-", which.text(), resp.status)
        answer = unsigned.answer_of(resp, target.profile, path, which)
        judged.answers.append(answer)
        if answer.verdict in ("accepted", "crashed"):
            break  # proven a hole: another event would only move more of the canary's money
    judged.moved = before.change_to(balance(target, kit.player.token))
    return judged


@then("each refuses an unsigned event shaped like a real one, and no money moved")
@then("her biri gerçeğine benzeyen imzasız bir olayı reddeder ve para hareket etmez")
def _(webhook_like: Found, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    judged: list[unsigned.RouteJudgement] = []
    for path, source in webhook_like.probe.items():
        if any(j.moved for j in judged):
            webhook_like.unproven[path] = Reason.of(N_("not probed: the gate stopped once a route moved the canary's "
                                                       "money"))
            continue
        judged.append(probe_route(target, kit, path, source))
    evidence.put("probed", [j.to_json() for j in judged])
    failed = [j for j in judged if j.outcome == "fail"]
    if failed:
        message = unsigned.failure_message(failed)
        said = Reason.of(N_("webhook-like routes nobody declared act on what nobody signed: %(message)s"),
                         message=message)
        evidence.trigger(ROW_SECURITY_INCIDENT, said)
        raise CheckFailed(said)
    unproven = [j for j in judged if j.outcome == "unproven"]
    reasons = [unsigned.unproven_message(unproven)] if unproven else []
    reasons += [Reason.of(N_("unproven: %(path)s: %(why)s"), path=path, why=why)
                for path, why in webhook_like.unproven.items()]
    acknowledged = target.profile.model.discovery.acknowledged
    blind = [e for e in webhook_like.survey.of("cannot_tell") if e.path not in acknowledged]
    if blind or webhook_like.survey.not_asked:
        reasons.append(discovery.cannot_tell_message(webhook_like.survey, blind))
    if reasons:
        skip(Reason.joined(reasons))
