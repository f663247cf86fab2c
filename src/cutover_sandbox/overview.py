"""The back office's summary of the platform (the admin dashboard), computed once for every dialect."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cutover_sandbox.models import OPEN_WITHDRAWAL_STATES, Player, Transaction, Wallet


@dataclass(frozen=True)
class Summary:
    players: int
    kyc_verified: int
    withdrawals_open: int
    withdrawals_paid_total: Decimal
    deposits_completed_total: Decimal
    deposits_pending_provider: int
    available: Decimal
    held: Decimal


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _sum(session: Session, *where: Any) -> Decimal:
    return Decimal(session.scalar(select(func.coalesce(func.sum(Transaction.amount), 0)).where(*where)) or 0)


def summary(session: Session) -> Summary:
    available, held = session.execute(
        select(func.coalesce(func.sum(Wallet.available_real), 0), func.coalesce(func.sum(Wallet.held_real), 0))
    ).one()
    return Summary(
        players=_count(session, Player),
        kyc_verified=_count(session, Player, Player.kyc_status == "verified"),
        withdrawals_open=_count(session, Transaction, Transaction.type == "withdrawal",
                                Transaction.state.in_(OPEN_WITHDRAWAL_STATES)),
        withdrawals_paid_total=_sum(session, Transaction.type == "withdrawal", Transaction.state == "paid"),
        deposits_completed_total=_sum(session, Transaction.type == "deposit", Transaction.state == "completed"),
        deposits_pending_provider=_count(session, Transaction, Transaction.type == "deposit",
                                         Transaction.state == "pending_provider"),
        available=Decimal(available), held=Decimal(held),
    )
