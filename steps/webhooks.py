"""T-0 webhook kit and idempotency probes (checklist section 4, CONTRACT §1 Webhooks).

The gate acts as the PSP: it signs webhooks with the platform's secrets and checks that valid ones take effect exactly
once, that unsigned, wrongly signed or stale ones are refused and move no money, that replays have no second effect,
and that a failed payout is never booked as paid.
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
    provision_canary,
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
from steps.common import admin_login, admin_token_from

ROUTES = ("payout", "adyen", "stripe")
SECRET_FOR = {"payout": "webhook_secret", "adyen": "adyen_hmac_key", "stripe": "stripe_webhook_secret"}


@dataclass
class Kit:
    player: CanaryPlayer
    admin: Secret
    amount: Decimal
    currency: str = "USD"
    subject: str | None = None
    event: wh.Forged | None = None
    before: Balance | None = None
    after_effect: Balance | None = None
    answers: list[int] = field(default_factory=list)
    idem_key: str | None = field(default=None, repr=False)


def _secret(gate: Gate, route: str) -> Secret:
    secret = gate.settings.secret(SECRET_FOR[route])
    if secret is None:
        var = {"payout": "CUTOVER_WEBHOOK_SECRET", "adyen": "CUTOVER_ADYEN_HMAC_KEY",
               "stripe": "CUTOVER_STRIPE_WEBHOOK_SECRET"}[route]
        raise CheckFailed(f"the {route} webhook secret is not set: export {var}")
    return secret


def _forge(target: TargetClient, gate: Gate, kit: Kit, route: str, tx_id: str, *, status: str = "paid",
           secret: Secret | str | None = "platform", ts: int | None = None, event_id: str | None = None) -> wh.Forged:
    key: Secret | None = _secret(gate, route) if secret == "platform" else secret  # type: ignore[assignment]
    p = target.profile
    if route == "payout":
        body, eid = wh.payout_event(tx_id, status, str(p.value("webhooks", "provider")), event_id)
        return wh.Forged(route, body, wh.sign_payout(body, key, ts=ts), eid)
    if route == "stripe":
        body, eid = wh.stripe_event(tx_id, kit.amount, kit.currency, event_id)
        return wh.Forged(route, body, wh.sign_stripe(body, key, ts=ts), eid)
    item = wh.adyen_item(tx_id, kit.amount, kit.currency, str(p.value("webhooks", "merchant_account")), event_id)
    return wh.Forged(route, wh.adyen_body(item, key), {"Content-Type": "application/json"},
                     str(item["pspReference"]))


def _resign(target: TargetClient, gate: Gate, forged: wh.Forged) -> wh.Forged:
    """The same event again, as a PSP retry sends it (payout/Stripe carry a fresh timestamp; Adyen the same body)."""
    if forged.route == "payout":
        return wh.Forged("payout", forged.body, wh.sign_payout(forged.body, _secret(gate, "payout")), forged.event_id)
    if forged.route == "stripe":
        return wh.Forged("stripe", forged.body, wh.sign_stripe(forged.body, _secret(gate, "stripe")), forged.event_id)
    return forged


def _send(target: TargetClient, forged: wh.Forged) -> Response:
    return target.post(target.profile.path(f"webhook_{forged.route}"), data=forged.body, headers=forged.headers)


def _deposit(target: TargetClient, kit: Kit, method: str) -> str:
    p = target.profile
    resp = target.post(p.path("deposit"), json=wire(p, amount=f"{kit.amount:.2f}", method=method),
                       token=kit.player.token, headers={"Idempotency-Key": f"gate-kit-{uuid.uuid4()}"})
    resp.expect(200, 201, what=f"webhook kit deposit ({method})")
    try:
        kit.currency = tx_field(p, resp, "tx_currency") or kit.currency
    except CheckFailed:
        pass  # a platform that does not echo the currency: the kit's default stands
    return tx_field(p, resp, "tx_id")


def _wait_deposit(target: TargetClient, gate: Gate, kit: Kit, tx_id: str) -> None:
    p = target.profile
    poll(lambda: deposit_state(target, kit.player.token, tx_id), done=[p.state("deposit_completed")],
         failed=p.states("deposit_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
         interval_s=gate.settings.canary.poll_interval_s, what=f"webhook kit deposit {tx_id}")


def _approved_withdrawal(target: TargetClient, kit: Kit) -> str:
    p = target.profile
    resp = target.post(p.path("withdraw"), token=kit.player.token,
                       json=wire(p, amount=f"{kit.amount:.2f}", method=p.value("canary", "withdraw_method"),
                                 address=p.value("canary", "withdraw_address")),
                       headers={"Idempotency-Key": f"gate-kit-{uuid.uuid4()}"})
    resp.expect(200, 201, what="webhook kit withdrawal")
    tx_id = tx_field(p, resp, "tx_id")
    review = target.post(p.path("withdrawal_review", tx_id=tx_id), token=kit.admin,
                         json=review_body(p, "approve", "cutover webhook kit"))
    review.expect(200, what="webhook kit approve")
    return tx_id


def _payout_pending(target: TargetClient, kit: Kit) -> str:
    tx_id = _approved_withdrawal(target, kit)
    resp = target.post(target.profile.path("withdrawal_payout", tx_id=tx_id), token=kit.admin,
                       headers={"Idempotency-Key": f"gate-kit-payout-{uuid.uuid4()}"})
    resp.expect(200, 201, 202, what="webhook kit payout")
    return tx_id


def _settle(gate: Gate) -> None:
    """Give the PSP time to deliver its own event too: the effect must still be exactly once after it."""
    settle = gate.settings.cutover.webhooks.settle_s
    time.sleep(float(gate.settings.profile.value("webhooks", "settle_s") if settle is None else settle))


@given("a funded webhook test player", target_fixture="kit")
@given("bakiyesi olan bir webhook test oyuncusu", target_fixture="kit")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> Kit:
    admin = admin_token_from(admin_login(target, gate), target, gate.settings.admin_email)
    player = provision_canary(target, gate.settings, admin)
    amount = Decimal(str(target.profile.value("webhooks", "kit_amount")))
    kit = Kit(player=player, admin=admin, amount=amount)
    # fund it through the Stripe route, signed as the PSP would: the valid path must work before the invalid ones
    tx_id = _deposit(target, kit, str(target.profile.value("webhooks", "stripe_deposit_method")))
    resp = _send(target, _forge(target, gate, kit, "stripe", tx_id))
    resp.expect(200, what="a validly signed Stripe webhook")
    _wait_deposit(target, gate, kit, tx_id)
    kit.subject = tx_id
    evidence.put("kit_player_id", player.player_id)
    return kit


@given(parsers.parse("a subject for the {route} webhook"), converters={"route": str.lower})
@given(parsers.parse("bir {route} webhook konusu"))
def _(route: str, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    if route not in ROUTES:
        raise CheckFailed(f"unknown webhook route '{route}' in the feature (known: {', '.join(ROUTES)})")
    if route == "payout":
        kit.subject = _approved_withdrawal(target, kit)
    evidence.put(f"{route}_subject", kit.subject)


@when(parsers.parse("I send the {route} webhook {flaw}"), converters={"route": str.lower})
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
    resp = _send(target, forged)
    kit.answers = [resp.status]
    evidence.put(f"{route}_{kind}_answer", resp.status)


@then("the webhook is refused and no money moved")
@then("webhook reddedilir ve para hareket etmez")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    assert kit.before is not None
    status = kit.answers[-1]
    after = balance(target, kit.player.token)
    moved = (after.available, after.held) != (kit.before.available, kit.before.held)
    if status not in (400, 401, 403) or moved:
        evidence.trigger("security_incident", f"a forged webhook answered {status}; money moved: {moved}")
        raise CheckFailed(f"a forged webhook was not refused: HTTP {status} (expected 400/401), money moved: {moved} "
                          f"(available {kit.before.available} -> {after.available}, held {kit.before.held} -> "
                          f"{after.held})")


@when(parsers.parse("a valid {route} webhook completes a fresh {route2} subject"),
      converters={"route": str.lower, "route2": str.lower})
@when(parsers.parse("geçerli bir {route} webhook'u yeni bir {route2} konusunu tamamlar"))
def _(route: str, route2: str, kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    p = target.profile
    kit.before = balance(target, kit.player.token)
    if route == "payout":
        tx_id = _payout_pending(target, kit)
        kit.before = balance(target, kit.player.token)  # the hold is in place; settlement must release it once
        forged = _forge(target, gate, kit, "payout", tx_id, status="paid")
        _send(target, forged).expect(200, 202, what="a validly signed payout webhook")
        poll(lambda: withdrawal_state(target, kit.admin, tx_id), done=[p.state("withdraw_paid")],
             failed=p.states("withdraw_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
             interval_s=gate.settings.canary.poll_interval_s, what=f"payout {tx_id}")
        evidence.put("payout_webhook_verified", True)
    else:
        tx_id = _deposit(target, kit, str(p.value("webhooks", f"{route}_deposit_method")))
        forged = _forge(target, gate, kit, route, tx_id)
        _send(target, forged).expect(200, 202, what=f"a validly signed {route} webhook")
        _wait_deposit(target, gate, kit, tx_id)
    kit.subject, kit.event = tx_id, forged
    _settle(gate)
    kit.after_effect = balance(target, kit.player.token)
    evidence.put(f"{route}_event", forged.event_id)


@then("its effect applied exactly once")
@then("etkisi tam olarak bir kez uygulanır")
def _(kit: Kit, evidence: Evidence) -> None:
    assert kit.before is not None and kit.after_effect is not None and kit.event is not None
    b, a = kit.before, kit.after_effect
    if kit.event.route == "payout":
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
    resp = _send(target, _resign(target, gate, kit.event))
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
    tx_id = _payout_pending(target, kit)
    kit.before = balance(target, kit.player.token)
    forged = _forge(target, gate, kit, "payout", tx_id, status="failed")
    resp = _send(target, forged)
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
    if state == paid:
        evidence.trigger("webhook_misclassification", f"a 'failed' payout webhook moved {kit.subject} to {paid}")
        raise CheckFailed(f"a 'failed' payout webhook was booked as '{paid}'")
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        evidence.trigger("ledger_invariant_breach", "a failed payout moved money")
        raise CheckFailed(f"a failed payout moved money: {kit.before} -> {after}")


@then("a deposit without an Idempotency-Key is refused")
@then("Idempotency-Key olmadan deposit reddedilir")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    p = target.profile
    before = balance(target, kit.player.token)
    resp = target.post(p.path("deposit"), token=kit.player.token,
                       json=wire(p, amount=f"{kit.amount:.2f}", method=p.value("webhooks", "stripe_deposit_method")))
    code = resp.error_code(p)
    evidence.put("no_key_answer", [resp.status, code])
    if resp.status != 400 or (code and code != p.value("errors", "idempotency_required")):
        raise CheckFailed(f"a deposit without Idempotency-Key answered {resp.status} {code or ''}, expected 400 "
                          f"{p.value('errors', 'idempotency_required')}")
    if balance(target, kit.player.token) != before:
        raise CheckFailed("a refused deposit without Idempotency-Key moved money")


@then("a withdrawal replayed with the same key returns the same transaction and holds once")
@then("aynı anahtarla tekrarlanan çekim aynı işlemi döndürür ve bir kez bloke eder")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    p = target.profile
    before = balance(target, kit.player.token)
    key = f"gate-idem-{uuid.uuid4()}"
    body = wire(p, amount=f"{kit.amount:.2f}", method=p.value("canary", "withdraw_method"),
                address=p.value("canary", "withdraw_address"))
    first = target.post(p.path("withdraw"), token=kit.player.token, json=body, headers={"Idempotency-Key": key})
    first.expect(200, 201, what="withdrawal with an Idempotency-Key")
    second = target.post(p.path("withdraw"), token=kit.player.token, json=body, headers={"Idempotency-Key": key})
    second.expect(200, 201, what="the same withdrawal replayed with the same key")
    tx1 = tx_field(p, first, "tx_id")
    tx2 = tx_field(p, second, "tx_id")
    after = balance(target, kit.player.token)
    kit.subject = tx1
    evidence.put("withdraw_replay_same_tx", tx1 == tx2)
    if tx1 != tx2:
        raise CheckFailed(f"the replayed withdrawal created another transaction ({tx1} then {tx2})")
    if (after.available, after.held) != (before.available - kit.amount, before.held + kit.amount):
        evidence.trigger("ledger_invariant_breach", "withdrawal replay held twice")
        raise CheckFailed(f"the withdrawal and its replay moved {before.available - after.available} off available "
                          f"for one withdrawal of {kit.amount}")
    kit.before, kit.idem_key = after, key


@then("the same key with another body is refused with 409")
@then("aynı anahtar başka bir gövdeyle 409 ile reddedilir")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    p = target.profile
    assert kit.idem_key is not None and kit.before is not None and kit.subject is not None
    key = kit.idem_key
    other = wire(p, amount=f"{kit.amount + Decimal('0.01'):.2f}", method=p.value("canary", "withdraw_method"),
                 address=p.value("canary", "withdraw_address"))
    resp = target.post(p.path("withdraw"), token=kit.player.token, json=other, headers={"Idempotency-Key": key})
    code = resp.error_code(p)
    evidence.put("conflict_answer", [resp.status, code])
    after = balance(target, kit.player.token)
    # leave nothing behind: the probe's withdrawal is rejected, which releases its hold
    target.post(p.path("withdrawal_review", tx_id=kit.subject), token=kit.admin,
                json=review_body(p, "reject", "cutover idempotency probe"))
    if resp.status != 409 or (code and code != p.value("errors", "idempotency_conflict")):
        raise CheckFailed(f"the same Idempotency-Key with another body answered {resp.status} {code or ''}, expected "
                          f"409 {p.value('errors', 'idempotency_conflict')}")
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        raise CheckFailed("a conflicting Idempotency-Key request moved money")
