"""Admin back office: the dashboard summary and a player's wallet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from cutover_sandbox import overview
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import CurrentAdmin, SessionDep, path_uuid
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import Wallet

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/dashboard")
def dashboard(_admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    now = overview.summary(session)
    return {
        "players": {"total": now.players, "kyc_verified": now.kyc_verified},
        "withdrawals": {"pending": now.withdrawals_open, "paid_total": serialize.amount(now.withdrawals_paid_total)},
        "deposits": {"completed_total": serialize.amount(now.deposits_completed_total),
                     "pending_provider": now.deposits_pending_provider},
        "wallets": {"available_real": serialize.amount(now.available), "held_real": serialize.amount(now.held)},
        "generated_at": datetime.now(UTC).isoformat(),
    }


@router.get("/players/{player_id}/wallet")
def player_wallet(player_id: str, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    wallet = session.get(Wallet, path_uuid(player_id, "player"))
    if wallet is None:
        raise not_found("player")
    return {"player_id": str(wallet.player_id), "wallet": serialize.wallet(wallet)}
