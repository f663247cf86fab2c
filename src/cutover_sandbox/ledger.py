"""Every balance change, as a balanced double-entry movement, under a row lock on the wallet.

Accounts: `player_available` and `player_held` (per player; the wallet columns are their running sums),
`psp_clearing` (money the PSP owes us for deposits) and `payout_clearing` (money on its way out to players).

| movement           | entries                                  |
|--------------------|------------------------------------------|
| `deposit_credit`   | +a player_available, -a psp_clearing     |
| `withdraw_hold`    | -a player_available, +a player_held      |
| `withdraw_release` | -a player_held, +a player_available      |
| `payout_settle`    | -a player_held, +a payout_clearing       |
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cutover_sandbox.faults import Faults
from cutover_sandbox.models import LedgerEntry, LedgerMovement, Transaction, Wallet, utcnow

PLAYER_AVAILABLE = "player_available"
PLAYER_HELD = "player_held"
PSP_CLEARING = "psp_clearing"
PAYOUT_CLEARING = "payout_clearing"
PLAYER_ACCOUNTS = (PLAYER_AVAILABLE, PLAYER_HELD)


class LedgerError(RuntimeError):
    pass


@dataclass(frozen=True)
class Leg:
    account: str
    amount: Decimal


def lock_wallet(session: Session, player_id: uuid.UUID) -> Wallet:
    """The player's wallet, locked (SELECT ... FOR UPDATE) until the session's transaction ends."""
    wallet = session.scalar(select(Wallet).where(Wallet.player_id == player_id).with_for_update()
                            .execution_options(populate_existing=True))
    if wallet is None:
        raise LedgerError(f"no wallet for player {player_id}")
    return wallet


def lock_transaction(session: Session, tx_id: uuid.UUID) -> tuple[Transaction, Wallet] | None:
    """A transaction and its player's wallet, both locked, wallet first (the one lock order everywhere)."""
    player_id = session.scalar(select(Transaction.player_id).where(Transaction.id == tx_id))
    if player_id is None:
        return None
    wallet = lock_wallet(session, player_id)
    tx = session.scalar(select(Transaction).where(Transaction.id == tx_id).with_for_update()
                        .execution_options(populate_existing=True))
    assert tx is not None
    return tx, wallet


def post(session: Session, wallet: Wallet, kind: str, tx: Transaction, legs: list[Leg],
         external_event_id: str | None = None, check_balanced: bool = True) -> LedgerMovement:
    """Write one movement and apply its player legs to the (locked) wallet."""
    if check_balanced and sum((leg.amount for leg in legs), Decimal("0")) != 0:
        raise LedgerError(f"{kind} does not balance: {legs}")
    movement = LedgerMovement(id=uuid.uuid4(), kind=kind, tx_id=tx.id, external_event_id=external_event_id,
                              entries=[])
    session.add(movement)
    for leg in legs:
        player_id = wallet.player_id if leg.account in PLAYER_ACCOUNTS else None
        movement.entries.append(LedgerEntry(account=leg.account, player_id=player_id, amount=leg.amount,
                                            currency=tx.currency))
        if leg.account == PLAYER_AVAILABLE:
            wallet.available_real += leg.amount
        elif leg.account == PLAYER_HELD:
            wallet.held_real += leg.amount
    wallet.updated_at = utcnow()
    session.flush()
    return movement


def credit_deposit(session: Session, wallet: Wallet, tx: Transaction, faults: Faults,
                   external_event_id: str | None = None) -> LedgerMovement:
    legs = [Leg(PLAYER_AVAILABLE, tx.amount), Leg(PSP_CLEARING, -tx.amount)]
    if faults.active("ledger_unbalanced"):  # FAULT: only the player side is written
        return post(session, wallet, "deposit_credit", tx, legs[:1], external_event_id, check_balanced=False)
    return post(session, wallet, "deposit_credit", tx, legs, external_event_id)


def hold_withdrawal(session: Session, wallet: Wallet, tx: Transaction, faults: Faults) -> LedgerMovement:
    if wallet.available_real < tx.amount:
        raise LedgerError("insufficient funds")
    credit = PLAYER_HELD
    if faults.active("withdraw_no_hold"):  # FAULT: the amount leaves available but never reaches held
        credit = PAYOUT_CLEARING
    return post(session, wallet, "withdraw_hold", tx, [Leg(PLAYER_AVAILABLE, -tx.amount), Leg(credit, tx.amount)])


def release_withdrawal(session: Session, wallet: Wallet, tx: Transaction) -> LedgerMovement:
    legs = [Leg(PLAYER_HELD, -tx.amount), Leg(PLAYER_AVAILABLE, tx.amount)]
    return post(session, wallet, "withdraw_release", tx, legs)


def settle_withdrawal(session: Session, wallet: Wallet, tx: Transaction,
                      external_event_id: str | None = None) -> LedgerMovement:
    return post(session, wallet, "payout_settle", tx, [Leg(PLAYER_HELD, -tx.amount), Leg(PAYOUT_CLEARING, tx.amount)],
                external_event_id)


INVARIANT_QUERIES: dict[str, str] = {
    "unbalanced_movements": """
        SELECT m.id::text FROM ledger_movements m JOIN ledger_entries e ON e.movement_id = m.id
        GROUP BY m.id HAVING sum(e.amount) <> 0""",
    "available_mismatch": """
        SELECT w.player_id::text FROM wallets w
        WHERE w.available_real <> (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e
                                   WHERE e.player_id = w.player_id AND e.account = 'player_available')""",
    "held_mismatch": """
        SELECT w.player_id::text FROM wallets w
        WHERE w.held_real <> (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e
                              WHERE e.player_id = w.player_id AND e.account = 'player_held')""",
    "held_vs_open_withdrawals": """
        SELECT w.player_id::text FROM wallets w
        WHERE w.held_real <> (SELECT coalesce(sum(t.amount), 0) FROM transactions t
                              WHERE t.player_id = w.player_id AND t.type = 'withdrawal'
                                AND t.state IN ('requested', 'approved', 'payout_pending', 'payout_failed'))""",
    "negative_balances": "SELECT player_id::text FROM wallets WHERE available_real < 0 OR held_real < 0",
}


def invariant_violations(session: Session) -> dict[str, list[str]]:
    """Each ledger invariant that does not hold, with the offending ids (empty when the books are sound)."""
    found = {name: list(session.scalars(text(query))) for name, query in INVARIANT_QUERIES.items()}
    return {name: ids for name, ids in found.items() if ids}
