"""T-0 `t0_webhook_replay` and `t0_webhook_classification`, over every webhook route of the profile.

Replay: a valid event takes effect exactly once, and the same event again is acknowledged with no second effect. In
staging and the sandbox each route's event completes a fresh subject of the canary's (a deposit of the route's
method; a payout the PSP will not settle by itself); in prod it targets a transaction the PSP already completed, so
neither it nor its replay may have any effect (no money from forged events). Classification: a validly signed
'failed' outcome for a held payout leads to the failed state, never to paid, and its hold stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pytest_bdd import then, when

from cutover_gate.checks import kit as declared
from cutover_gate.checks.canary import Balance, balance, balance_showing, with_balance_beside, withdrawal_state
from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH, ROW_WEBHOOK_MISCLASSIFICATION, T0_IDEMPOTENCY
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence import canary_keys
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.target import signing
from cutover_gate.target.client import TargetClient, poll
from steps.webhooks import Kit, deposit, forge, held_payout, reject, routes, secret_of, send, settle, wait_deposit


@dataclass
class Replay:
    name: str
    route: WebhookRoute
    subject: str
    event: signing.Forged
    before: Balance
    """The balances the event is judged from: before it, or for a held payout, as they must be with its hold in place
    (steps/webhooks.py `HeldPayout.held`)."""
    after: Balance | None = None
    effect: bool = True
    replay_status: int | None = None


@dataclass
class Replays:
    items: list[Replay] = field(default_factory=list)
    impossible: list[Reason] = field(default_factory=list)
    """Probes the profile's payout flow makes impossible, with why."""


def impossible_by_flow(reasons: list[Reason], gate: Gate, evidence: Evidence) -> None:
    """A probe the flow makes impossible is NOT_RUN with its reason, or WAIVED by the cutover file's
    [webhooks] payout_flow_waiver: never a FAIL, never a PASS by itself."""
    if not reasons:
        return
    evidence.put("impossible_by_flow", [reason.text() for reason in reasons])
    waiver = gate.settings.cutover.webhooks.payout_flow_waiver
    if waiver:
        evidence.waive([waiver])
        return
    skip(N_("%(reasons)s (waive with the cutover file's [webhooks] payout_flow_waiver, naming a ticket)"),
         reasons=tuple(reasons))


def _wait_paid(target: TargetClient, gate: Gate, kit: Kit, tx_id: str) -> None:
    """The kit payout paid, the canary's balances asked beside each state read (for `balance_showing`)."""
    p = target.profile
    poll(with_balance_beside(target, kit.player.token, lambda: withdrawal_state(target, kit.admin, tx_id)),
         done=[p.state("withdraw_paid")],
         failed=p.states("withdraw_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
         interval_s=gate.settings.canary.poll_interval_s, what=Reason.of(N_("payout %(tx)s"), tx=tx_id))


def _validly_signed(name: str) -> Reason:
    return Reason.of(N_("a validly signed %(name)s event"), name=name)


@when("a valid event of every webhook route completes a fresh subject", target_fixture="replays")
@when("her webhook route'unun geçerli bir olayı yeni bir konuyu tamamlar", target_fixture="replays")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> Replays:
    found = Replays()
    for name, route in routes(target).items():
        blocked = declared.payout_flow_blocks(target.profile, name, "replay") if route.completes == "payout" else None
        if blocked:
            found.impossible.append(blocked)
            continue
        if kit.prod:
            # prod: the event is for a transaction the PSP completed; a correct platform applies nothing
            tx_id = kit.shared.paid_withdrawal if route.completes == "payout" else kit.shared.completed_deposit
            if tx_id is None:
                raise CheckFailed(N_("prod: no completed canary transaction for the %(name)s replay probe"),
                                  name=name)
            before = balance(target, kit.player.token)
            event = forge(target, gate, kit, name, route, tx_id)
            send(target, kit, declared.REPLAY_COMPLETED, route, event, "valid (completed subject)", tx_id).ok(
                Reason.of(N_("a validly signed %(name)s event for a completed transaction"), name=name))
            item = Replay(name, route, tx_id, event, before, effect=False)
        elif route.completes == "payout":
            payout = held_payout(target, kit)
            tx_id, held = payout.tx_id, payout.held  # settlement must release the hold once
            event = forge(target, gate, kit, name, route, tx_id, outcome="paid")
            send(target, kit, declared.REPLAY_EVENT, route, event, "valid", tx_id).ok(_validly_signed(name))
            _wait_paid(target, gate, kit, tx_id)
            evidence.put(canary_keys.PAYOUT_WEBHOOK_VERIFIED, True)
            item = Replay(name, route, tx_id, event, held,
                          after=balance_showing(target, kit.player.token, Balance(held.available,
                                                                                  held.held - kit.amount)))
        else:
            assert route.deposit_method is not None
            before = balance(target, kit.player.token)
            tx_id = deposit(target, kit, declared.REPLAY_DEPOSIT, route.deposit_method)
            event = forge(target, gate, kit, name, route, tx_id)
            send(target, kit, declared.REPLAY_EVENT, route, event, "valid", tx_id).ok(_validly_signed(name))
            answered = time.monotonic()
            wait_deposit(target, gate, kit, tx_id)
            settle(gate, since=answered)  # a PSP delivers its own event for the deposit too: still one credit after it
            item = Replay(name, route, tx_id, event, before)
        item.after = item.after or balance(target, kit.player.token)
        evidence.put(f"{name}_event", event.event_id)
        found.items.append(item)
    return found


@then("each took effect exactly once")
@then("her biri tam olarak bir kez etkili oldu")
def _(replays: Replays, kit: Kit, evidence: Evidence) -> None:
    wrong: list[Reason] = []
    for item in replays.items:
        b, a = item.before, item.after
        assert a is not None
        if not item.effect:
            expected = (b.available, b.held)
        elif item.route.completes == "payout":
            expected = (b.available, b.held - kit.amount)
        else:
            expected = (b.available + kit.amount, b.held)
        if (a.available, a.held) != expected:
            wrong.append(Reason.of(N_("%(name)s: available/held %(seen)s, expected %(expected)s"), name=item.name,
                                   seen=f"{a.available}/{a.held}", expected=f"{expected[0]}/{expected[1]}"))
    evidence.put("effects", {i.name: "none (completed subject)" if not i.effect else "once" for i in replays.items})
    if wrong:
        said = Reason.of(N_("valid webhook events took effect wrongly: %(wrong)s"), wrong=tuple(wrong))
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, said)
        raise CheckFailed(said)


@when("each event is replayed")
@when("her olay tekrar gönderilir")
def _(replays: Replays, kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    kit.before = balance(target, kit.player.token)
    for item in replays.items:
        again = signing.sign(item.name, item.route, item.event.body, secret_of(gate, item.name, item.route))
        if item.route.scheme == "adyen":  # the signature is in the body: the PSP's retry is the same body
            again = item.event
        item.replay_status = send(target, kit, declared.REPLAYED, item.route, again, "replay", item.subject).status
        evidence.put(f"{item.name}_replay_answer", item.replay_status)
    settle(gate)


@then("each replay is acknowledged and moves no money")
@then("her tekrar kabul edilir ve para hareket etmez")
def _(replays: Replays, kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    assert kit.before is not None
    after = balance(target, kit.player.token)
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, Reason.of(N_("a webhook replay moved money")))
        raise CheckFailed(N_("a webhook replay moved money: available/held %(before)s -> %(after)s"),
                          before=f"{kit.before.available}/{kit.before.held}", after=f"{after.available}/{after.held}")
    refused = {i.name: i.replay_status for i in replays.items
               if i.replay_status not in target.profile.call(i.route.call).accept}
    if refused:
        raise CheckFailed(N_("replays were not acknowledged %(refused)s: a replay must be answered as a success so "
                             "the PSP stops retrying"), refused=refused)
    if any(i.route.completes == "deposit" for i in replays.items):
        evidence.put(canary_keys.DEPOSIT_REPLAY_SAME_TX, True)
    impossible_by_flow(replays.impossible, gate, evidence)


@when("the PSP reports a payout failed with a valid signature")
@when("PSP geçerli imzayla bir payout'un başarısız olduğunu bildirir")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    payout = declared.classification_route(routes(target))
    if payout is None:
        raise CheckFailed(N_("no webhook route of the profile completes a payout: nothing to classify"))
    name, route = payout
    blocked = declared.payout_flow_blocks(target.profile, name, "classification")
    if blocked:
        kit.subject = None
        impossible_by_flow([blocked], gate, evidence)
        return
    held = held_payout(target, kit)
    tx_id, kit.before = held.tx_id, held.held
    if held.spare:
        evidence.put("failed_payout_from", T0_IDEMPOTENCY)  # its keyed withdrawal, held since
    forged = forge(target, gate, kit, name, route, tx_id, outcome="failed")
    send(target, kit, declared.FAILED_EVENT, route, forged, "valid (failed)", tx_id).ok(
        Reason.of(N_("a validly signed 'failed' %(name)s event"), name=name))
    kit.subject = tx_id
    evidence.put("failed_payout_tx", tx_id)


@then("the withdrawal is payout_failed and its hold stays")
@then("çekim payout_failed olur ve blokesi kalır")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    p = target.profile
    if target.profile.flows.payout != "webhook":
        return  # waived above: the flow leaves no payout for a PSP event to decide
    assert kit.subject is not None and kit.before is not None
    failed, paid = p.state("withdraw_payout_failed"), p.state("withdraw_paid")
    state = poll(lambda: withdrawal_state(target, kit.admin, kit.subject or ""), done=[failed, paid],
                 failed=[s for s in p.states("withdraw_failed") if s != failed],
                 deadline_s=gate.settings.canary.poll_deadline_s, interval_s=gate.settings.canary.poll_interval_s,
                 what=Reason.of(N_("payout %(tx)s after a failed webhook"), tx=kit.subject))
    after = balance(target, kit.player.token)
    evidence.put("state_after_failed_webhook", state)
    if state == failed:
        reject(target, kit, declared.FAILED_REJECT, kit.subject, "cutover payout classification probe")
    if state == paid:
        # the payout was held for the gate's webhook alone: only the 'failed' event can have decided it
        evidence.trigger(ROW_WEBHOOK_MISCLASSIFICATION, Reason.of(N_("a 'failed' payout webhook moved %(tx)s to "
                                                                     "%(paid)s"), tx=kit.subject, paid=paid))
        raise CheckFailed(N_("a 'failed' payout webhook was booked as '%(paid)s'"), paid=paid)
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, Reason.of(N_("a payout that failed moved money")))
        raise CheckFailed(N_("a payout that failed moved money: the canary's available/held are %(after)s, %(held)s "
                             "with its hold in place"), after=f"{after.available}/{after.held}",
                          held=f"{kit.before.available}/{kit.before.held}")
