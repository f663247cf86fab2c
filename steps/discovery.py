"""Webhook-like routes nobody declared (T-0, `t0_webhook_signature`): every route of the platform's OpenAPI document
with a webhook word in its path (webhook, callback, notify, ...) must refuse an unsigned and a wrongly signed body,
and no money may move. Not only the three routes of the profile: a second PSP's forgotten callback is the same hole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pytest_bdd import then, when

from cutover_gate.checks import discovery
from cutover_gate.checks.canary import balance
from cutover_gate.core.errors import CheckFailed
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.client import TargetClient
from steps.webhooks import Kit

BOGUS_SIGNATURE = "0" * 64


@dataclass
class Found:
    probe: list[discovery.Route] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Found but not probed, with the reason."""
    source: str = ""


@when("I list the webhook-like routes the platform documents", target_fixture="webhook_like")
@when("platformun belgelediği webhook benzeri route'ları listelerim", target_fixture="webhook_like")
def _(target: TargetClient, evidence: Evidence) -> Found:
    routes, source = discovery.documented_routes(target)
    found = Found(source=source)
    for route in discovery.matching(routes or [], target.profile.probe("webhook_route_words")):
        if route.parameters:
            found.skipped[route.path] = f"has path parameter(s) {', '.join(route.parameters)} the gate cannot fill"
        elif "POST" not in route.methods:
            found.skipped[route.path] = f"serves {', '.join(route.methods) or 'no method'}, not POST"
        else:
            found.probe.append(route)
    evidence.put("openapi", source)
    evidence.put("found", [r.path for r in found.probe] + list(found.skipped))
    evidence.put("not_probed", found.skipped)
    return found


@then("each refuses an unsigned and a wrongly signed body, and no money moved")
@then("her biri imzasız ve yanlış imzalı gövdeyi reddeder ve para hareket etmez")
def _(webhook_like: Found, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    body = json.dumps({}).encode()
    forged = dict.fromkeys(target.profile.probe("signature_headers"), BOGUS_SIGNATURE)
    answers: dict[str, list[int]] = {}
    bad: list[str] = []
    before = balance(target, kit.player.token)
    for route in webhook_like.probe:
        for kind, headers in (("unsigned", {}), ("wrongly signed", forged)):
            resp = target.post(route.path, data=body, headers={"Content-Type": "application/json", **headers})
            kit.shared.footprint.webhook(route.path, "-", f"{kind} {{}}", resp.status)
            answers.setdefault(route.path, []).append(resp.status)
            if not 400 <= resp.status < 500:
                bad.append(f"{route.path} answered {resp.status} to an {kind} body")
    after = balance(target, kit.player.token)
    evidence.put("probed", answers)
    moved = (after.available, after.held) != (before.available, before.held)
    if bad or moved:
        evidence.trigger("security_incident", "; ".join(bad) + ("; money moved" if moved else ""))
        raise CheckFailed("webhook-like routes accept what nobody signed: " + "; ".join(bad)
                          + (f"; the canary's balance moved ({before} -> {after})" if moved else ""))
