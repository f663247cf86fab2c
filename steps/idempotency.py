"""T-0 idempotency probes (CONTRACT §1 Idempotency): a money request without a key is refused; the same key and body
return the same transaction and hold once; the same key with another body is refused with 409. They share the
webhook kit's canary and leave nothing held behind: the keyed withdrawal is rejected, or, when the payout
classification probe runs later and can take it, left held as that probe's payout (one withdrawal and one reject
fewer on the platform; that probe rejects it in the end)."""

from __future__ import annotations

import uuid

import pytest
from pytest_bdd import then

from cutover_gate.checks import kit as declared
from cutover_gate.checks.canary import Balance, balance
from cutover_gate.checks.declared import CONFLICT_STEP
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH, T0_WEBHOOK_CLASSIFICATION
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import RefusedByRule, TargetClient
from steps.common import spend
from steps.webhooks import Kit, hand_on, reject


@then("a deposit without an Idempotency-Key is refused")
@then("Idempotency-Key olmadan deposit reddedilir")
def _(kit: Kit, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    p = target.profile
    before = balance(target, kit.player.token)
    method = gate.settings.canary.deposit_method
    call = p.deposit_call(method)
    resp = declared.NO_KEY_DEPOSIT.send(target, slots={"method": method}, player=kit.player.token, with_key=False,
                                        amount=kit.amount)
    code = resp.error_code(p)
    wanted = p.codes(call, "key_missing")
    evidence.put("no_key_answer", [resp.status, code])
    if resp.status != 400 or (code and code not in wanted):
        raise CheckFailed(N_("a deposit without Idempotency-Key answered %(status)s %(code)s, expected 400 %(wanted)s"),
                          status=resp.status, code=code or "", wanted=" or ".join(wanted))
    if balance(target, kit.player.token) != before:
        raise CheckFailed(N_("a refused deposit without Idempotency-Key moved money"))


@then("a withdrawal replayed with the same key returns the same transaction and holds once")
@then("aynı anahtarla tekrarlanan çekim aynı işlemi döndürür ve bir kez bloke eder")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    p = target.profile
    before = balance(target, kit.player.token)
    spend(kit.shared, kit.budget, kit.amount, Reason.of(N_("the idempotency probe's withdrawal")))
    key = f"gate-idem-{uuid.uuid4()}"
    body = {"amount": kit.amount, "method": p.value("canary", "withdraw_method"),
            "address": p.value("canary", "withdraw_address")}
    first = declared.KEYED_WITHDRAW.send(target, player=kit.player.token, key=key, **body)
    first.ok(N_("withdrawal with an Idempotency-Key"))
    kit.shared.footprint.withdrawal(str(first.answer("tx_id")), kit.amount, "idempotency probe")
    second = declared.KEYED_REPLAY.send(target, player=kit.player.token, key=key, **body)
    second.ok(N_("the same withdrawal replayed with the same key"))
    tx1 = str(first.answer("tx_id"))
    tx2 = str(second.answer("tx_id"))
    after = balance(target, kit.player.token)
    kit.subject = tx1
    evidence.put("keyed_withdrawal_tx", tx1)
    evidence.put("withdraw_replay_same_tx", tx1 == tx2)
    if tx1 != tx2:
        raise CheckFailed(N_("the replayed withdrawal created another transaction (%(first)s then %(second)s)"),
                          first=tx1, second=tx2)
    if (after.available, after.held) != (before.available - kit.amount, before.held + kit.amount):
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, Reason.of(N_("withdrawal replay held twice")))
        raise CheckFailed(N_("the withdrawal and its replay moved %(moved)s off available for one withdrawal of "
                             "%(amount)s"), moved=before.available - after.available, amount=kit.amount)
    kit.before, kit.idem_key = after, key


@then("the same key with another body is refused with 409")
@then("aynı anahtar başka bir gövdeyle 409 ile reddedilir")
def _(kit: Kit, target: TargetClient, evidence: Evidence, request: pytest.FixtureRequest) -> None:
    p = target.profile
    assert kit.idem_key is not None and kit.before is not None and kit.subject is not None
    key = kit.idem_key
    resp = declared.KEY_CONFLICT.send(target, player=kit.player.token, key=key, amount=kit.amount + CONFLICT_STEP,
                                      method=p.value("canary", "withdraw_method"),
                                      address=p.value("canary", "withdraw_address"))
    code = resp.error_code(p)
    evidence.put("conflict_answer", [resp.status, code])
    after = balance(target, kit.player.token)
    handed = False
    try:
        _conflict_judged(target, resp.status, code, after, kit)
        handed = hand_on(request, target, kit, kit.subject)
        if handed:
            evidence.put("withdrawal_left_for", T0_WEBHOOK_CLASSIFICATION)
    finally:
        if not handed:
            reject(target, kit, declared.PROBE_REJECT, kit.subject, "cutover idempotency probe")


def _conflict_judged(target: TargetClient, status: int, code: str | None, after: Balance, kit: Kit) -> None:
    p = target.profile
    assert kit.before is not None
    wanted = p.codes("withdraw", "idempotency_conflict")
    if code and code in {*p.codes("withdraw", "risk_refusal"), *p.codes("withdraw", "rate_limit")}:
        raise RefusedByRule(N_("the same Idempotency-Key with another body: the platform's risk control refused the "
                               "probe (%(status)s %(code)s)"), status=status, code=code)
    if status != 409 or (code and code not in wanted):
        raise CheckFailed(N_("the same Idempotency-Key with another body answered %(status)s %(code)s, expected 409 "
                             "%(wanted)s"), status=status, code=code or "", wanted=" or ".join(wanted))
    if (after.available, after.held) != (kit.before.available, kit.before.held):
        raise CheckFailed(N_("a conflicting Idempotency-Key request moved money"))
