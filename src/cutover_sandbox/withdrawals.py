"""Withdrawals: request (hold), admin review, mark paid, provider payout and its webhook result.

States: requested -> approved -> [payout_pending] -> paid; payout_pending -> payout_failed -> payout_pending (retry)
or rejected; requested -> rejected | canceled. A repeated action that already happened is a no-op (200).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cutover_sandbox import ledger
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError, idempotency_conflict, illegal_transition, not_found
from cutover_sandbox.faults import Faults
from cutover_sandbox.idempotency import money, request_hash
from cutover_sandbox.models import PayoutAttempt, Player, Transaction, Wallet, WebhookEvent
from cutover_sandbox.payments import EventOutcome, record_event

ReviewAction = Literal["approve", "reject"]
PayoutStatus = Literal["paid", "failed"]
RequestGuard = Callable[[Session, Player], None]
"""A platform's own rule over a new withdrawal request (e.g. a risk engine), run under the wallet's lock; it raises
an ApiError to refuse the request, which then moves nothing."""

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"requested"}), "approved"),
    "reject": (frozenset({"requested", "payout_failed"}), "rejected"),
    "mark_paid": (frozenset({"approved", "payout_pending", "payout_failed"}), "paid"),
    "payout": (frozenset({"approved", "payout_failed"}), "payout_pending"),
}


def request_withdrawal(session: Session, ctx: AppContext, player: Player, amount: Decimal, method: str,
                       address: str | None, key: str, guard: RequestGuard | None = None) -> tuple[Transaction, Wallet]:
    """The withdrawal for this Idempotency-Key (a replay returns it unchanged), else a new one holding the amount;
    `guard` judges only a new request (a replay is no new request)."""
    if player.kyc_status != "verified":
        raise ApiError(403, "KYC_REQUIRED_FOR_WITHDRAWAL", "KYC verification is required to withdraw")
    amount = money(amount)
    fingerprint = request_hash(amount=amount, method=method, address=address)
    wallet = ledger.lock_wallet(session, player.id)
    existing = session.scalar(select(Transaction).where(
        Transaction.player_id == player.id, Transaction.type == "withdrawal", Transaction.idempotency_key == key))
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise idempotency_conflict()
        return existing, wallet
    if guard is not None:
        guard(session, player)
    if wallet.available_real < amount:
        raise ApiError(400, "INSUFFICIENT_FUNDS", "the available balance is lower than the amount")
    tx = Transaction(id=uuid.uuid4(), player_id=player.id, type="withdrawal", amount=amount, currency=wallet.currency,
                     state="requested", method=method, address=address, idempotency_key=key,
                     request_hash=fingerprint, provider=None)
    session.add(tx)
    session.flush()
    ledger.hold_withdrawal(session, wallet, tx, ctx.faults)
    return tx, wallet


def locked_withdrawal(session: Session, tx_id: uuid.UUID) -> tuple[Transaction, Wallet]:
    """The withdrawal and its player's wallet, both locked; 404 when there is no such withdrawal."""
    located = ledger.lock_transaction(session, tx_id)
    if located is None or located[0].type != "withdrawal":
        raise not_found()
    return located


def _check(tx: Transaction, action: str) -> bool:
    """True when the action is to be applied, False when it already was (idempotent repeat); 409 if illegal."""
    sources, target = TRANSITIONS[action]
    if tx.state == target:
        return False
    if tx.state not in sources:
        raise illegal_transition(tx.state, action.replace("_", " "))
    return True


def review(session: Session, faults: Faults, tx_id: uuid.UUID, action: ReviewAction) -> Transaction:
    tx, wallet = locked_withdrawal(session, tx_id)
    if not _check(tx, action):
        return tx
    if action == "approve" and faults.active("approve_noop"):  # FAULT: answer approved, store nothing
        session.expunge(tx)
        tx.state = "approved"
        return tx
    if action == "reject":
        ledger.release_withdrawal(session, wallet, tx)
    tx.state = TRANSITIONS[action][1]
    return tx


def mark_paid(session: Session, faults: Faults, tx_id: uuid.UUID) -> Transaction:
    tx, wallet = locked_withdrawal(session, tx_id)
    if not _check(tx, "mark_paid"):
        return tx
    if not faults.active("mark_paid_keeps_hold"):  # FAULT (when active): the state changes, no money moves
        ledger.settle_withdrawal(session, wallet, tx)
    tx.state = "paid"
    close_attempts(session, tx, "paid")
    return tx


def start_payout(session: Session, tx_id: uuid.UUID, key: str, provider: str,
                 simulate: PayoutStatus) -> tuple[Transaction, PayoutAttempt, bool]:
    """The payout attempt for this Idempotency-Key, and whether it was created now (so the PSP must be called)."""
    fingerprint = request_hash(tx_id=str(tx_id), provider=provider, simulate=simulate)
    tx, _wallet = locked_withdrawal(session, tx_id)
    attempt = session.scalar(select(PayoutAttempt).where(PayoutAttempt.idempotency_key == key))
    if attempt is not None:
        if attempt.request_hash != fingerprint:
            raise idempotency_conflict()
        return tx, attempt, False
    sources, target = TRANSITIONS["payout"]
    if tx.state not in sources:
        raise illegal_transition(tx.state, "pay out")
    attempt = PayoutAttempt(id=uuid.uuid4(), tx_id=tx.id, idempotency_key=key, request_hash=fingerprint,
                            provider=provider, status="pending")
    session.add(attempt)
    tx.state = target
    tx.provider = provider
    tx.provider_ref = f"po_{attempt.id.hex}"
    session.flush()
    return tx, attempt, True


def received_payout_event(session: Session, ctx: AppContext, tx_id: uuid.UUID, provider: str, event_id: str,
                          status: PayoutStatus, raw: dict[str, object]
                          ) -> tuple[Transaction, Wallet, bool, WebhookEvent | None]:
    """A verified payout webhook as every dialect receives it: the locked withdrawal (404 for an unknown one), whether
    the event means paid, and the event recorded; None for a replay of an event already received."""
    tx, wallet = locked_withdrawal(session, tx_id)
    paid = status == "paid"
    if status == "failed" and ctx.faults.active("webhook_failed_treated_as_paid"):  # FAULT: misclassified
        paid = True
    event = record_event(session, provider, event_id, tx.id, raw, "received")
    if event is None and paid and ctx.faults.active("webhook_replay_double_effect"):  # FAULT: the replay settles again
        ledger.settle_withdrawal(session, wallet, tx, external_event_id=event_id)
    return tx, wallet, paid, event


def apply_payout_result(session: Session, ctx: AppContext, tx_id: uuid.UUID, provider: str, event_id: str,
                        status: PayoutStatus, raw: dict[str, object]) -> EventOutcome:
    """Apply one verified payout webhook exactly once; 404 for an unknown withdrawal."""
    tx, wallet, paid, event = received_payout_event(session, ctx, tx_id, provider, event_id, status, raw)
    if event is None:
        return "replay"
    if tx.state != "payout_pending":
        event.status = "ignored"
        return "ignored"
    if paid:
        ledger.settle_withdrawal(session, wallet, tx, external_event_id=event_id)
        tx.state = "paid"
    else:
        tx.state = "payout_failed"
    close_attempts(session, tx, tx.state.removeprefix("payout_"))
    event.status = "processed"
    return "processed"


def close_attempts(session: Session, tx: Transaction, status: str) -> None:
    """Close the withdrawal's pending payout attempts with `status` (paid, failed)."""
    for attempt in session.scalars(select(PayoutAttempt).where(PayoutAttempt.tx_id == tx.id,
                                                               PayoutAttempt.status == "pending")):
        attempt.status = status


def attempts(session: Session, tx_id: uuid.UUID) -> list[PayoutAttempt]:
    return list(session.scalars(select(PayoutAttempt).where(PayoutAttempt.tx_id == tx_id)
                                .order_by(PayoutAttempt.created_at)))
