"""T-0 webhook kit and idempotency probes (checklist section 4, CONTRACT §1 Webhooks).

The gate acts as the PSP: it signs webhooks with the platform's secrets and checks that valid ones take effect exactly
once, that unsigned, wrongly signed or stale ones are refused and move no money, that replays have no second effect,
and that a failed payout is never booked as paid.

Every probe uses the run's canary. The negative probes (unsigned, wrong secret, stale) always target transactions
that are already completed (the canary's PSP-completed deposit and its paid withdrawal), so a faulty platform can
move only the canary's own money. In prod the replay probes do the same: a validly signed event for a completed
transaction must have no effect, and neither must its replay; the positive webhook evidence is the canary's real PSP
deposit. In staging and the sandbox the kit may fund itself: a fresh deposit or payout completed by the gate's own
signed webhook, then replayed. The payout probes use a payout the PSP will not settle by itself (the profile's
`[webhooks] held_payout_body`), so no verdict depends on which of two deliveries arrives first.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from cutover_gate.checks.canary import (
    Balance,
    CanaryPlayer,
    balance,
    deposit_state,
    review_body,
    tx_field,
    wire,
    withdrawal_state,
)
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target import signing as wh
from cutover_gate.target.client import Response, TargetClient, poll
from steps.common import Shared, admin_session, canary_of

ROUTES = ("payout", "adyen", "stripe")
FUNDING_PROBES = 4
"""Kit amounts a self-funding kit deposits: enough for the probes that hold money (replay, classification,
idempotency), each released or paid before the next."""
SECRET_FOR = {"payout": "webhook_secret", "adyen": "adyen_hmac_key", "stripe": "stripe_webhook_secret"}


@dataclass
class Kit:
    shared: Shared
    player: CanaryPlayer
    admin: Secret
    amount: Decimal
    prod: bool
    currency: str = "USD"
    subject: str | None = None
    event: wh.Forged | None = None
    before: Balance | None = None
    after_effect: Balance | None = None
    answers: list[int] = field(default_factory=list)
    idem_key: str | None = field(default=None, repr=False)
    expected_effect: bool = True
    """False when a valid event targets a completed transaction (prod): it must change nothing."""


def _secret(gate: Gate, route: str) -> Secret:
    secret = gate.settings.secret(SECRET_FOR[route])
    if secret is None:
        var = {"payout": "CUTOVER_WEBHOOK_SECRET", "adyen": "CUTOVER_ADYEN_HMAC_KEY",
               "stripe": "CUTOVER_STRIPE_WEBHOOK_SECRET"}[route]
        raise CheckFailed(f"the {route} webhook secret is not set: export {var}")
    return secret


def _forge(target: TargetClient, gate: Gate, kit: Kit, route: str, tx_id: str, *, status: str = "paid",
           secret: Secret | str | None = "platform", ts: int | None = None, event_id: str | None = None,
           amount: Decimal | None = None) -> wh.Forged:
    key: Secret | None = _secret(gate, route) if secret == "platform" else secret  # type: ignore[assignment]
    p = target.profile
    amount = amount or kit.amount
    if route == "payout":
        body, eid = wh.payout_event(tx_id, status, str(p.value("webhooks", "provider")), event_id)
        return wh.Forged(route, body, wh.sign_payout(body, key, ts=ts), eid)
    if route == "stripe":
        body, eid = wh.stripe_event(tx_id, amount, kit.currency, event_id)
        return wh.Forged(route, body, wh.sign_stripe(body, key, ts=ts), eid)
    item = wh.adyen_item(tx_id, amount, kit.currency, str(p.value("webhooks", "merchant_account")), event_id)
    return wh.Forged(route, wh.adyen_body(item, key), {"Content-Type": "application/json"},
                     str(item["pspReference"]))


def _resign(target: TargetClient, gate: Gate, forged: wh.Forged) -> wh.Forged:
    """The same event again, as a PSP retry sends it (payout/Stripe carry a fresh timestamp; Adyen the same body)."""
    if forged.route == "payout":
        return wh.Forged("payout", forged.body, wh.sign_payout(forged.body, _secret(gate, "payout")), forged.event_id)
    if forged.route == "stripe":
        return wh.Forged("stripe", forged.body, wh.sign_stripe(forged.body, _secret(gate, "stripe")), forged.event_id)
    return forged


def _send(target: TargetClient, kit: Kit, forged: wh.Forged, kind: str, subject: str = "") -> Response:
    try:
        resp = target.post(target.profile.path(f"webhook_{forged.route}"), data=forged.body, headers=forged.headers)
    except CheckFailed:
        kit.shared.footprint.webhook(forged.route, subject or kit.subject or "", kind, None)
        raise
    kit.shared.footprint.webhook(forged.route, subject or kit.subject or "", kind, resp.status)
    return resp


def _deposit(target: TargetClient, kit: Kit, method: str, amount: Decimal | None = None) -> str:
    p = target.profile
    resp = target.post(p.path("deposit"), json=wire(p, amount=f"{amount or kit.amount:.2f}", method=method),
                       token=kit.player.token, headers={"Idempotency-Key": f"gate-kit-{uuid.uuid4()}"})
    resp.expect(200, 201, what=f"webhook kit deposit ({method})")
    try:
        kit.currency = tx_field(p, resp, "tx_currency") or kit.currency
    except CheckFailed:
        pass  # a platform that does not echo the currency: the kit's default stands
    tx_id = tx_field(p, resp, "tx_id")
    kit.shared.footprint.deposit(tx_id, amount or kit.amount, method, "webhook kit")
    return tx_id


def _wait_deposit(target: TargetClient, gate: Gate, kit: Kit, tx_id: str) -> None:
    p = target.profile
    poll(lambda: deposit_state(target, kit.player.token, tx_id), done=[p.state("deposit_completed")],
         failed=p.states("deposit_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
         interval_s=gate.settings.canary.poll_interval_s, what=f"webhook kit deposit {tx_id}")


def _requested_withdrawal(target: TargetClient, kit: Kit) -> str:
    p = target.profile
    resp = target.post(p.path("withdraw"), token=kit.player.token,
                       json=wire(p, amount=f"{kit.amount:.2f}", method=p.value("canary", "withdraw_method"),
                                 address=p.value("canary", "withdraw_address")),
                       headers={"Idempotency-Key": f"gate-kit-{uuid.uuid4()}"})
    resp.expect(200, 201, what="webhook kit withdrawal")
    tx_id = tx_field(p, resp, "tx_id")
    kit.shared.footprint.withdrawal(tx_id, kit.amount, "webhook kit")
    return tx_id


def _approved_withdrawal(target: TargetClient, kit: Kit) -> str:
    p = target.profile
    tx_id = _requested_withdrawal(target, kit)
    review = target.post(p.path("withdrawal_review", tx_id=tx_id), token=kit.admin,
                         json=review_body(p, "approve", "cutover webhook kit"))
    review.expect(200, what="webhook kit approve")
    return tx_id


def _held_payout(target: TargetClient, kit: Kit) -> str:
    """A payout of the kit amount that waits for a provider's webhook the PSP will not send by itself: the gate's
    webhook alone decides it, so no outcome depends on which of two deliveries arrives first."""
    tx_id = _approved_withdrawal(target, kit)
    body = dict(target.profile.value("webhooks", "held_payout_body"))
    resp = target.post(target.profile.path("withdrawal_payout", tx_id=tx_id), token=kit.admin, json=body,
                       headers={"Idempotency-Key": f"gate-kit-payout-{uuid.uuid4()}"})
    resp.expect(200, 201, 202, what="webhook kit payout (the profile's [webhooks] held_payout_body)")
    return tx_id


def reject(target: TargetClient, kit: Kit, tx_id: str, why: str) -> None:
    """Leave nothing held behind: a probe's withdrawal is rejected, which releases its hold."""
    target.post(target.profile.path("withdrawal_review", tx_id=tx_id), token=kit.admin,
                json=review_body(target.profile, "reject", why))


def _settle(gate: Gate) -> None:
    """Give the PSP time to deliver its own event too: the effect must still be exactly once after it."""
    settle = gate.settings.cutover.webhooks.settle_s
    time.sleep(float(gate.settings.profile.value("webhooks", "settle_s") if settle is None else settle))


@given("a funded webhook test player", target_fixture="kit")
@given("bakiyesi olan bir webhook test oyuncusu", target_fixture="kit")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence) -> Kit:
    admin = admin_session(target, gate, shared)
    player = canary_of(target, gate, shared)
    amount = Decimal(str(target.profile.value("webhooks", "kit_amount")))
    kit = Kit(shared=shared, player=player, admin=admin, amount=amount, prod=gate.settings.env_name == "prod")
    if shared.completed_deposit is None:
        if kit.prod:
            raise CheckFailed("prod: the webhook probes target the canary's completed transactions, and the money "
                              "loop has not completed a deposit in this run (run T-0's canary first)")
        # fund it through the Stripe route, signed as the PSP would: the valid path must work before the invalid ones
        funding = min(amount * FUNDING_PROBES, gate.settings.canary.max_amount)
        tx_id = _deposit(target, kit, str(target.profile.value("webhooks", "stripe_deposit_method")), funding)
        forged = _forge(target, gate, kit, "stripe", tx_id, amount=funding)
        resp = _send(target, kit, forged, "valid (funding)", tx_id)
        resp.expect(200, what="a validly signed Stripe webhook")
        _wait_deposit(target, gate, kit, tx_id)
        shared.completed_deposit = tx_id
    kit.subject = shared.completed_deposit
    evidence.put("kit_player_id", player.player_id)
    return kit


@given(parsers.parse("a {route} webhook subject"))
@given(parsers.parse("bir {route} webhook konusu"))
def _(route: str, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    if route not in ROUTES:
        raise CheckFailed(f"unknown webhook route '{route}' in the feature (known: {', '.join(ROUTES)})")
    if route == "payout":
        kit.subject = kit.shared.paid_withdrawal or _requested_withdrawal(target, kit)
    evidence.put(f"{route}_subject", kit.subject)


@when(parsers.parse("I send the {route} webhook {flaw}"))
@when(parsers.parse("{route} webhook'unu {flaw} gönderirim"))
def _(route: str, flaw: str, kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    assert kit.subject is not None
    kit.before = balance(target, kit.player.token)
    flaws = {"without a signature": "missing", "imzasız": "missing",
             "signed with a wrong secret": "wrong", "yanlış secret ile imzalanmış": "wrong",
             "with a stale timestamp": "stale", "eski zaman damgasıyla": "stale"}
    kind = flaws.get(flaw)
    if kind is None:
        raise CheckFailed(f"unknown webhook flaw '{flaw}' in the feature")
    if kind == "missing":
        forged = _forge(target, gate, kit, route, kit.subject, secret=None)
    elif kind == "wrong":
        forged = _forge(target, gate, kit, route, kit.subject, secret=wh.wrong_secret(_secret(gate, route)))
    else:
        forged = _forge(target, gate, kit, route, kit.subject, ts=int(time.time()) - wh.STALE_S)
    resp = _send(target, kit, forged, kind)
    kit.answers = [resp.status]
    evidence.put(f"{route}_{kind}_answer", resp.status)


@then("the webhook is refused and no money moved")
@then("webhook reddedilir ve para hareket etmez")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    assert kit.before is not None and kit.subject is not None
    status = kit.answers[-1]
    after = balance(target, kit.player.token)
    moved = (after.available, after.held) != (kit.before.available, kit.before.held)
    if kit.subject != kit.shared.paid_withdrawal and kit.subject != kit.shared.completed_deposit:
        reject(target, kit, kit.subject, "cutover webhook signature probe")
    if status not in (400, 401, 403) or moved:
        evidence.trigger("security_incident", f"a forged webhook answered {status}; money moved: {moved}")
        raise CheckFailed(f"a forged webhook was not refused: HTTP {status} (expected 400/401), money moved: {moved} "
                          f"(available {kit.before.available} -> {after.available}, held {kit.before.held} -> "
                          f"{after.held})")


@when(parsers.parse("a valid {route} webhook completes a fresh {route2} subject"))
@when(parsers.parse("geçerli bir {route} webhook'u yeni bir {route2} konusunu tamamlar"))
def _(route: str, route2: str, kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    p = target.profile
    if kit.prod:
        # prod: no money from forged events. The event is for a transaction the PSP already completed; a correct
        # platform applies nothing, and the canary's real PSP deposit is the positive evidence
        tx_id = kit.shared.paid_withdrawal if route == "payout" else kit.shared.completed_deposit
        if tx_id is None:
            raise CheckFailed(f"prod: no completed canary transaction for the {route} replay probe (the money loop "
                              "did not finish)")
        kit.expected_effect = False
        kit.before = balance(target, kit.player.token)
        forged = _forge(target, gate, kit, route, tx_id, status="paid")
        _send(target, kit, forged, "valid (completed subject)", tx_id).expect(
            200, 202, what=f"a validly signed {route} webhook for a completed transaction")
    elif route == "payout":
        tx_id = payout = _held_payout(target, kit)
        kit.before = balance(target, kit.player.token)  # the hold is in place; settlement must release it once
        forged = _forge(target, gate, kit, "payout", tx_id, status="paid")
        _send(target, kit, forged, "valid", tx_id).expect(200, 202, what="a validly signed payout webhook")
        poll(lambda: withdrawal_state(target, kit.admin, payout), done=[p.state("withdraw_paid")],
             failed=p.states("withdraw_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
             interval_s=gate.settings.canary.poll_interval_s, what=f"payout {tx_id}")
        evidence.put("payout_webhook_verified", True)
    else:
        kit.before = balance(target, kit.player.token)
        tx_id = _deposit(target, kit, str(p.value("webhooks", f"{route}_deposit_method")))
        forged = _forge(target, gate, kit, route, tx_id)
        _send(target, kit, forged, "valid", tx_id).expect(200, 202, what=f"a validly signed {route} webhook")
        _wait_deposit(target, gate, kit, tx_id)
        _settle(gate)  # the PSP delivers its own event for this deposit too: still exactly one credit after it
    kit.subject, kit.event = tx_id, forged
    kit.after_effect = balance(target, kit.player.token)
    evidence.put(f"{route}_event", forged.event_id)


@then("its effect applied exactly once")
@then("etkisi tam olarak bir kez uygulanır")
def _(kit: Kit, evidence: Evidence) -> None:
    assert kit.before is not None and kit.after_effect is not None and kit.event is not None
    b, a = kit.before, kit.after_effect
    if not kit.expected_effect:
        expected = (b.available, b.held)
    elif kit.event.route == "payout":
        expected = (b.available, b.held - kit.amount)
    else:
        expected = (b.available + kit.amount, b.held)
    if (a.available, a.held) != expected:
        evidence.trigger("ledger_invariant_breach", f"{kit.event.route} webhook effect {a} expected {expected}")
        raise CheckFailed(f"the valid {kit.event.route} webhook took effect wrongly: available/held "
                          f"{a.available}/{a.held}, expected {expected[0]}/{expected[1]}")


@when("the same webhook is replayed")
@when("aynı webhook tekrar gönderilir")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    assert kit.event is not None
    resp = _send(target, kit, _resign(target, gate, kit.event), "replay")
    kit.answers = [resp.status]
    evidence.put(f"{kit.event.route}_replay_answer", resp.status)
    _settle(gate)


@then("the replay is acknowledged and moves no money")
@then("tekrar kabul edilir ve para hareket etmez")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    assert kit.after_effect is not None and kit.event is not None
    after = balance(target, kit.player.token)
    status = kit.answers[-1]
    if (after.available, after.held) != (kit.after_effect.available, kit.after_effect.held):
        evidence.trigger("ledger_invariant_breach", f"{kit.event.route} webhook replay moved money")
        raise CheckFailed(f"the {kit.event.route} webhook replay moved money: available/held "
                          f"{kit.after_effect.available}/{kit.after_effect.held} -> {after.available}/{after.held}")
    if status not in (200, 202):
        raise CheckFailed(f"the {kit.event.route} webhook replay answered {status}; a replay must be acknowledged "
                          "(200) so the PSP stops retrying")
    if kit.event.route != "payout":
        evidence.put("deposit_replay_same_tx", True)


@when("the PSP reports a payout failed with a valid signature")
@when("PSP geçerli imzayla bir payout'un başarısız olduğunu bildirir")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    tx_id = _held_payout(target, kit)
    kit.before = balance(target, kit.player.token)
    forged = _forge(target, gate, kit, "payout", tx_id, status="failed")
    resp = _send(target, kit, forged, "valid (failed)", tx_id)
    resp.expect(200, 202, what="a validly signed 'failed' payout webhook")
    kit.subject, kit.event = tx_id, forged
    evidence.put("failed_payout_tx", tx_id)


@then("the withdrawal is payout_failed and its hold stays")
@then("çekim payout_failed olur ve blokesi kalır")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    p = target.profile
    assert kit.subject is not None and kit.before is not None
    failed, paid = p.state("withdraw_payout_failed"), p.state("withdraw_paid")
    state = poll(lambda: withdrawal_state(target, kit.admin, kit.subject or ""), done=[failed, paid],
                 failed=[s for s in p.states("withdraw_failed") if s != failed],
                 deadline_s=gate.settings.canary.poll_deadline_s, interval_s=gate.settings.canary.poll_interval_s,
                 what=f"payout {kit.subject} after a failed webhook")
    after = balance(target, kit.player.token)
    evidence.put("state_after_failed_webhook", state)
    if state == failed:
        reject(target, kit, kit.subject, "cutover payout classification probe")
    if state == paid:
        # the payout was held for the gate's webhook alone: only the 'failed' event can have decided it
        evidence.trigger("webhook_misclassification", f"a 'failed' payout webhook moved {kit.subject} to {paid}")
        raise CheckFailed(f"a 'failed' payout webhook was booked as '{paid}'")
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        evidence.trigger("ledger_invariant_breach", "a failed payout moved money")
        raise CheckFailed(f"a failed payout moved money: {kit.before} -> {after}")
