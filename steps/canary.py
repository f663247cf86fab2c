"""T-0 canary money loop (runbook §4 T-0, checklist section 4): deposit -> withdraw -> approve -> paid -> settlement.

Every balance is checked exactly, as Decimal, after every step; the final one is cross-checked in the database.
The evidence keys written here are what the canary report is filled from, declared once in
`cutover_gate.evidence.canary_keys`; `last_withdraw_state` is the state each call answered (the request, approve,
mark-paid) and the platform's own view after each admin action.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks import money_loop as loop
from cutover_gate.checks.canary import (
    Balance,
    CanaryPlayer,
    admin_wallet,
    balance,
    balance_showing,
    completion_of,
    look_after,
    wait_for_deposit,
    withdrawal_state,
)
from cutover_gate.checks.declared import Write
from cutover_gate.checks.money_loop import fmt as _fmt
from cutover_gate.core.catalogue import (
    ROW_PAYOUT_WITHDRAW_HTTP_ERROR,
    T0_ADMIN_APPROVE,
    T0_DEPOSIT,
    T0_LEDGER_SETTLEMENT,
    T0_MARK_PAID,
    T0_PLAYER_SCOPE,
    T0_WITHDRAW_REQUEST,
)
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence import canary_keys
from cutover_gate.evidence.recording import Evidence, proves
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient, TargetUnreachable, to_decimal
from cutover_gate.target.database import Database
from steps.ahead import SCOPE_READS, read_ahead_for, scope_reads, start_t0_reads
from steps.common import Shared, admin_session, canary_of, start_surveys


@dataclass
class Canary:
    shared: Shared
    player: CanaryPlayer
    admin: Secret
    deposit_amount: Decimal
    withdraw_amount: Decimal
    start: Balance
    """The canary's balances before the loop."""
    deposit_method: str
    deposit_tx: str | None = None
    deposit_state: str | None = None
    deposit_key: str = field(default="", repr=False)
    withdraw_tx: str | None = None
    settle_key: str = ""
    """The idempotency key of the call that took the withdrawal to paid (flows.payout), for the replay."""


def judged(evidence: Evidence, breach: loop.Breach | Reason | None) -> None:
    """A check's finding (checks/money_loop.py): its rollback-matrix trigger, then the line's FAIL."""
    if breach is None:
        return
    if isinstance(breach, Reason):
        raise CheckFailed(breach)
    if breach.row:
        evidence.trigger(breach.row, breach.why or breach.message)
    raise CheckFailed(breach.message)


def _money_call(target: TargetClient, evidence: Evidence, what: str | Reason, write: Write, **kw: Any) -> Response:
    """A withdraw or payout call of the canary: a 404/5xx, or no answer at all (a hang, a dead target), is the
    rollback matrix's "payout/withdraw 404/5xx"."""
    try:
        resp = write.send(target, **kw)
    except TargetUnreachable as exc:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.of(N_("%(what)s got no answer: %(cause)s"),
                                                                   what=Reason.label(what), cause=exc.reason))
        raise
    if resp.status == 404 or resp.status >= 500:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.of(N_("%(what)s answered HTTP %(status)s"),
                                                                   what=Reason.label(what), status=resp.status))
    return resp


@given("a verified canary player with KYC approved", target_fixture="canary")
@given("KYC'si onaylanmış doğrulanmış bir canary oyuncusu", target_fixture="canary")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence, request: pytest.FixtureRequest
      ) -> Canary:
    start_surveys(request, target, shared)
    start_t0_reads(request, target, shared)
    settings = gate.settings
    cfg = settings.canary
    judged(evidence, loop.amounts_refused(cfg))
    admin = admin_session(target, gate, shared)
    player = canary_of(target, gate, shared)
    bal = balance(target, player.token)
    evidence.put(canary_keys.CANARY_PLAYER_ID, player.player_id, line=T0_DEPOSIT)
    evidence.put(canary_keys.CANARY_EMAIL, player.email, line=T0_DEPOSIT)
    evidence.put(canary_keys.KYC_STATUS, player.kyc_status, line=T0_DEPOSIT)
    evidence.put(canary_keys.AVAILABLE_BEFORE, _fmt(bal.available), line=T0_DEPOSIT)
    evidence.put(canary_keys.HELD_BEFORE, _fmt(bal.held), line=T0_DEPOSIT)
    return Canary(shared=shared, player=player, admin=admin, deposit_amount=cfg.deposit_amount,
                  withdraw_amount=cfg.withdraw_amount, start=bal,
                  deposit_method=cfg.deposit_method)


@when("the canary deposits the deposit amount")
@when("canary deposit tutarını yatırır")
@proves(T0_DEPOSIT)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    key = f"canary-deposit-{uuid.uuid4()}"
    resp = loop.DEPOSIT.send(target, slots={"method": canary.deposit_method}, player=canary.player.token, key=key,
                             amount=canary.deposit_amount).ok(N_("canary deposit"))
    canary.deposit_tx = str(resp.answer("tx_id"))
    canary.deposit_state = str(resp.answer("state"))
    canary.deposit_key = key
    canary.shared.footprint.deposit(canary.deposit_tx, canary.deposit_amount, canary.deposit_method, "canary")
    evidence.put(canary_keys.DEPOSIT_TX_ID, canary.deposit_tx)
    evidence.put(canary_keys.DEPOSIT_AMOUNT, _fmt(canary.deposit_amount))
    evidence.put(canary_keys.DEPOSIT_METHOD, canary.deposit_method)
    evidence.put("initial_state", canary.deposit_state)


@then("the deposit completes as its method does")
@then("deposit yöntemine göre tamamlanır")
@proves(T0_DEPOSIT)
def _(canary: Canary, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    assert canary.deposit_tx is not None
    completion = completion_of(target, canary.deposit_method)
    evidence.put("deposit_completion", completion)
    done = target.profile.state("deposit_completed")
    judged(evidence, loop.deposit_answer_wrong(completion, canary.deposit_method, canary.deposit_state, done))
    if completion != "sync":
        canary.deposit_state = wait_for_deposit(target, canary.player.token, canary.deposit_tx, gate.settings.canary,
                                                balance_beside=True)
        if completion == "webhook":
            evidence.put("deposit_webhook_verified", True)
    canary.shared.completed_deposit = canary.deposit_tx
    evidence.put(canary_keys.DEPOSIT_STATE, canary.deposit_state)


@then("the available balance rose by exactly the deposit amount")
@then("kullanılabilir bakiye tam olarak deposit tutarı kadar arttı")
@proves(T0_DEPOSIT)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    bal = balance_showing(target, canary.player.token, loop.after_deposit(canary.start, canary.deposit_amount))
    evidence.put(canary_keys.AVAILABLE_AFTER_DEPOSIT, _fmt(bal.available))
    judged(evidence, loop.deposit_credited(canary.start, canary.deposit_amount, bal))


@then("replaying the deposit request returns the same transaction and credits nothing")
@then("deposit isteğinin tekrarı aynı işlemi döndürür ve bakiye değişmez")
@proves(T0_DEPOSIT)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    before = balance(target, canary.player.token)
    resp = loop.DEPOSIT_REPLAY.send(target, slots={"method": canary.deposit_method}, player=canary.player.token,
                                    key=canary.deposit_key, amount=canary.deposit_amount)
    resp.ok(N_("deposit replay with the same Idempotency-Key"))
    same = str(resp.answer("tx_id")) == canary.deposit_tx
    after = balance(target, canary.player.token)
    evidence.put(canary_keys.DEPOSIT_REPLAY_SAME_TX, same)
    judged(evidence, loop.deposit_replayed(same, before, after))


@when("the canary requests a withdrawal of the withdraw amount")
@when("canary withdraw tutarı kadar çekim ister")
@proves(T0_WITHDRAW_REQUEST)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    p = target.profile
    resp = _money_call(target, evidence, N_("withdraw request"), loop.WITHDRAW, player=canary.player.token,
                       amount=canary.withdraw_amount, method=p.value("canary", "withdraw_method"),
                       address=p.value("canary", "withdraw_address"))
    resp.ok(N_("canary withdraw request"))
    canary.withdraw_tx = str(resp.answer("tx_id"))
    canary.shared.footprint.withdrawal(canary.withdraw_tx, canary.withdraw_amount, "canary")
    state = str(resp.answer("state"))
    evidence.put(canary_keys.WITHDRAW_TX_ID, canary.withdraw_tx)
    evidence.put(canary_keys.WITHDRAW_AMOUNT, _fmt(canary.withdraw_amount))
    evidence.put(canary_keys.LAST_WITHDRAW_STATE, state)
    judged(evidence, loop.state_wrong(state, p.state("withdraw_requested")))


@then("available fell and held rose by exactly the withdraw amount")
@then("kullanılabilir bakiye tam withdraw tutarı kadar azaldı ve bloke bakiye o kadar arttı")
@proves(T0_WITHDRAW_REQUEST)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    bal = balance(target, canary.player.token)
    evidence.put(canary_keys.AVAILABLE_AFTER_WITHDRAW, _fmt(bal.available))
    evidence.put(canary_keys.HELD_AFTER_WITHDRAW, _fmt(bal.held))
    judged(evidence, loop.withdrawal_held(canary.start, canary.deposit_amount, canary.withdraw_amount, bal))


def _admin_action(canary: Canary, target: TargetClient, evidence: Evidence, write: Write,
                  what: tuple[str | Reason, str | Reason], answer_key: str, **values: str) -> None:
    """An admin action on the canary withdrawal, `what` its labels (the call's, the admin's); the state the platform
    answered (`answer_key`) is where the money is now."""
    assert canary.withdraw_tx is not None
    resp = _money_call(target, evidence, what[0], write, admin=canary.admin, tx_id=canary.withdraw_tx, **values)
    resp.ok(what[1])
    try:
        answered = resp.answer("state")
    except CheckFailed:
        return  # an answer without the transaction: the status read that follows records the state
    evidence.put(answer_key, answered)
    evidence.put(canary_keys.LAST_WITHDRAW_STATE, answered, line=T0_WITHDRAW_REQUEST)


def _shown_state(canary: Canary, target: TargetClient, evidence: Evidence, state: str, key: str,
                 what: str | Reason) -> None:
    """The platform's own view of the canary withdrawal after an admin action."""
    assert canary.withdraw_tx is not None
    shown = withdrawal_state(target, canary.admin, canary.withdraw_tx)
    evidence.put(key, shown)
    evidence.put(canary_keys.LAST_WITHDRAW_STATE, shown, line=T0_WITHDRAW_REQUEST)
    judged(evidence, loop.shown_state_wrong(what, shown, target.profile.state(state)))


@when("the admin approves the withdrawal")
@when("admin çekimi onaylar")
@proves(T0_ADMIN_APPROVE)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    _admin_action(canary, target, evidence, loop.APPROVE, (N_("withdrawal approve"), N_("admin approve")),
                  canary_keys.APPROVE_ANSWER_STATE,
                  action=target.profile.value("actions", "approve"), reason="go-live canary")
    evidence.put(canary_keys.APPROVED_AT, iso(utcnow()))


@then("the platform shows the withdrawal approved")
@then("platform çekimi onaylanmış gösterir")
@proves(T0_ADMIN_APPROVE)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    _shown_state(canary, target, evidence, "withdraw_approved", canary_keys.APPROVE_STATE, N_("approve"))


@when("the admin marks the withdrawal paid")
@when("admin çekimi ödendi olarak işaretler")
@proves(T0_MARK_PAID)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    call = target.profile.settle_call()
    canary.settle_key = f"canary-payout-{uuid.uuid4()}"
    _admin_action(canary, target, evidence, loop.settle_write(target.profile),
                  (N_("withdrawal mark paid"), N_("admin mark paid")) if call == "withdrawal_mark_paid"
                  else (N_("withdrawal payout"), N_("admin payout")),
                  canary_keys.PAID_ANSWER_STATE, reason="go-live canary", key=canary.settle_key)
    assert canary.withdraw_tx is not None
    look_after(target, canary.player.token, canary.admin, canary.withdraw_tx, canary.player.player_id)
    evidence.put("settled_by", f"calls.{call} (flows.payout = {target.profile.flows.payout})")
    evidence.put(canary_keys.PAID_AT, iso(utcnow()))
    evidence.put(canary_keys.PAYOUT_REF, canary.withdraw_tx)


@then("the platform shows the withdrawal paid")
@then("platform çekimi ödenmiş gösterir")
@proves(T0_MARK_PAID)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    _shown_state(canary, target, evidence, "withdraw_paid", canary_keys.PAID_STATE, N_("mark-paid"))
    canary.shared.paid_withdrawal = canary.withdraw_tx


@then("held is back to its start and available is exactly start plus deposit minus withdrawal")
@then("bloke bakiye başlangıca döndü ve kullanılabilir bakiye tam olarak başlangıç + deposit - withdraw")
@proves(T0_LEDGER_SETTLEMENT)
def _(canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    bal = balance(target, canary.player.token)
    expected = loop.settled(canary.start, canary.deposit_amount, canary.withdraw_amount)
    evidence.put(canary_keys.AVAILABLE_FINAL, _fmt(bal.available))
    evidence.put(canary_keys.HELD_FINAL, _fmt(bal.held))
    evidence.put(canary_keys.EXPECTED_AVAILABLE, _fmt(expected.available))
    evidence.put(canary_keys.EXPECTED_HELD, _fmt(expected.held))
    judged(evidence, loop.settlement_exact(canary.start, canary.deposit_amount, canary.withdraw_amount, bal))


@then("the database and the admin view agree with the player's balances")
@then("veritabanı ve admin görünümü oyuncunun bakiyeleriyle uyuşur")
@proves(T0_LEDGER_SETTLEMENT)
def _(canary: Canary, target: TargetClient, database: Database, evidence: Evidence) -> None:
    api = balance(target, canary.player.token)
    admin_view = admin_wallet(target, canary.admin, canary.player.player_id)
    rows = database.query("wallet", {"player_id": canary.player.player_id})
    judged(evidence, loop.wallet_rows_wrong(len(rows)))
    db_avail = to_decimal(rows[0]["available"], N_("database available"))
    db_held = to_decimal(rows[0]["held"], N_("database held"))
    evidence.put(canary_keys.DB_AVAILABLE, _fmt(db_avail))
    evidence.put(canary_keys.DB_HELD, _fmt(db_held))
    evidence.put(canary_keys.LEDGER_REFS, [canary.deposit_tx, canary.withdraw_tx])
    judged(evidence, loop.views_agree({"player API": api, "admin API": admin_view,
                                       "database": Balance(db_avail, db_held)}))


@then("replaying mark-paid moves no money")
@then("mark-paid tekrarı para hareket ettirmez")
@proves(T0_LEDGER_SETTLEMENT)
def _(canary: Canary, target: TargetClient, evidence: Evidence, request: pytest.FixtureRequest) -> None:
    assert canary.withdraw_tx is not None
    before = balance(target, canary.player.token)
    resp = loop.SETTLE_REPLAY.send(target, admin=canary.admin, tx_id=canary.withdraw_tx,
                                   reason="go-live canary replay", key=canary.settle_key)
    read_ahead_for(request, target, T0_PLAYER_SCOPE, SCOPE_READS,
                   scope_reads(target, canary.admin, canary.player))  # the money loop's last write is answered
    judged(evidence, loop.settle_replay_answer(target.profile.settle_call(), resp.status))
    judged(evidence, loop.settle_replay_moved(before, balance(target, canary.player.token)))
