"""Synchronous payouts and the payout result of a platform that pays out in the call (the casino dialect's).

- `pay_out`: the payout for this Idempotency-Key (`withdrawals.start_payout`: same key + same body -> the same attempt,
  no second effect; another body -> 409), answered by the PSP within the call (`MockPSP.pay_now`; no webhook
  follows): `paid` settles it exactly like mark-paid (held -a, a `payout_settle` movement), `failed` leaves it
  `payout_failed` with the amount still held (a retry is a new payout).
- `apply_result`: a verified payout webhook. The PSP sends none for a synchronous payout, but the route is there and
  applies what it is told, strictly: `paid` settles an approved, pending or failed payout; `paid` for a withdrawal
  already settled trips the settlement guard (`DoubleSettlement`: the platform refuses to take the held money twice
  and answers 500); `failed` moves a pending payout to `payout_failed`, is a no-op on a failed one and an illegal
  transition (409) on any other state, a paid one included. A replayed event id moves nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cutover_sandbox import ledger, withdrawals
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import illegal_transition
from cutover_sandbox.models import LedgerMovement, PayoutAttempt, Transaction, Wallet
from cutover_sandbox.payments import EventOutcome
from cutover_sandbox.withdrawals import PayoutStatus

SETTLE = "payout_settle"
SETTLEABLE = frozenset({"approved", "payout_pending", "payout_failed"})
"""The states a `paid` result settles (the withdrawal's hold is still there)."""


class DoubleSettlement(ledger.LedgerError):
    """The settlement guard: the withdrawal's held money was already taken once."""


def settle_once(session: Session, wallet: Wallet, tx: Transaction, external_event_id: str | None = None) -> None:
    """Settle the withdrawal (held -a), unless it already was: then DoubleSettlement, and nothing moves."""
    done = session.scalar(select(func.count()).select_from(LedgerMovement).where(
        LedgerMovement.tx_id == tx.id, LedgerMovement.kind == SETTLE))
    if done:
        raise DoubleSettlement(f"withdrawal {tx.id} is settled already ({done} settlement)")
    ledger.settle_withdrawal(session, wallet, tx, external_event_id)


def pay_out(session: Session, ctx: AppContext, tx_id: uuid.UUID, key: str, provider: str,
            simulate: PayoutStatus) -> tuple[Transaction, PayoutAttempt, bool]:
    """The payout for this Idempotency-Key, settled (or failed) in the call, and whether it was made now."""
    tx, attempt, created = withdrawals.start_payout(session, tx_id, key, provider, simulate)
    if not created:
        return tx, attempt, False
    wallet = ledger.lock_wallet(session, tx.player_id)  # locked already by start_payout, in this transaction
    outcome = ctx.psp.pay_now(str(tx.id), provider, simulate)
    if outcome == "paid":
        if not ctx.faults.active("sync_payout_keeps_hold"):  # FAULT (when active): the state changes, no money moves
            settle_once(session, wallet, tx)
        tx.state = "paid"
    else:
        tx.state = "payout_failed"
    withdrawals.close_attempts(session, tx, outcome)
    session.flush()
    return tx, attempt, True


def apply_result(session: Session, ctx: AppContext, tx_id: uuid.UUID, provider: str, event_id: str,
                 status: PayoutStatus, raw: dict[str, object]) -> EventOutcome:
    """Apply one verified payout webhook (see the module's docstring); 404 for an unknown withdrawal, 409 for an
    illegal one, DoubleSettlement for a second settlement (the caller answers 500; nothing is recorded)."""
    tx, wallet, paid, event = withdrawals.received_payout_event(session, ctx, tx_id, provider, event_id, status, raw)
    if event is None:
        return "replay"
    if paid:
        if tx.state not in SETTLEABLE | {"paid"}:
            raise illegal_transition(tx.state, "settle")
        settle_once(session, wallet, tx, external_event_id=event_id)  # paid already: the guard refuses
        tx.state = "paid"
        withdrawals.close_attempts(session, tx, "paid")
    elif tx.state == "payout_failed":
        event.status = "ignored"
        return "ignored"
    elif tx.state != "payout_pending":
        raise illegal_transition(tx.state, "fail the payout of")
    else:
        tx.state = "payout_failed"
        withdrawals.close_attempts(session, tx, "failed")
    event.status = "processed"
    return "processed"
