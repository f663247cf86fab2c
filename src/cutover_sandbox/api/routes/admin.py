"""Admin back office: the dashboard summary and a player's wallet."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import CurrentAdmin, SessionDep, path_uuid
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import OPEN_WITHDRAWAL_STATES, Player, Transaction, Wallet

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def _sum(session: SessionDep, *where: Any) -> str:
    total = session.scalar(select(func.coalesce(func.sum(Transaction.amount), 0)).where(*where))
    return serialize.amount(Decimal(total or 0))


@router.get("/dashboard")
def dashboard(_admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    available, held = session.execute(
        select(func.coalesce(func.sum(Wallet.available_real), 0), func.coalesce(func.sum(Wallet.held_real), 0))
    ).one()
    pending = session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.type == "withdrawal", Transaction.state.in_(OPEN_WITHDRAWAL_STATES)))
    return {
        "players": {"total": session.scalar(select(func.count()).select_from(Player)),
                    "kyc_verified": session.scalar(select(func.count()).select_from(Player)
                                                   .where(Player.kyc_status == "verified"))},
        "withdrawals": {"pending": pending,
                        "paid_total": _sum(session, Transaction.type == "withdrawal", Transaction.state == "paid")},
        "deposits": {"completed_total": _sum(session, Transaction.type == "deposit",
                                             Transaction.state == "completed"),
                     "pending_provider": session.scalar(select(func.count()).select_from(Transaction).where(
                         Transaction.type == "deposit", Transaction.state == "pending_provider"))},
        "wallets": {"available_real": serialize.amount(Decimal(available)),
                    "held_real": serialize.amount(Decimal(held))},
        "generated_at": datetime.now(UTC).isoformat(),
    }


@router.get("/players/{player_id}/wallet")
def player_wallet(player_id: str, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    wallet = session.get(Wallet, path_uuid(player_id, "player"))
    if wallet is None:
        raise not_found("player")
    return {"player_id": str(wallet.player_id), "wallet": serialize.wallet(wallet)}
