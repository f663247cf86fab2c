"""The player's wallet: balance, transactions, deposit and withdraw (both with Idempotency-Key)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cutover_sandbox import payments, records, withdrawals
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import ContextDep, CurrentPlayer, FaultsDep, IdempotencyKey, SessionDep
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Wallet

router = APIRouter(prefix="/api/v1/player/wallet", tags=["wallet"])

Amount = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2)]


class DepositRequest(BaseModel):
    amount: Amount
    method: str = "test"


class WithdrawRequest(BaseModel):
    amount: Amount
    method: str = "bank_transfer"
    address: str | None = None


@router.get("/balance")
def balance(player: CurrentPlayer, session: SessionDep) -> dict[str, Any]:
    wallet = session.get(Wallet, player.id)
    assert wallet is not None
    return serialize.wallet(wallet)


@router.get("/transactions")
def transactions(player: CurrentPlayer, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0)] = 0, type: str | None = None) -> dict[str, Any]:
    rows, total = records.page(session, records.where(type=type, player_id=player.id), limit, offset)
    return {"items": [serialize.transaction(tx) for tx in rows], "meta": {"total": total, "limit": limit,
                                                                          "offset": offset}}


@router.post("/deposit")
def deposit(body: DepositRequest, player: CurrentPlayer, key: IdempotencyKey, session: SessionDep,
            ctx: ContextDep) -> dict[str, Any]:
    tx, created = payments.create_deposit(session, ctx, player, body.amount, body.method, key)
    session.commit()
    if created and tx.state == "pending_provider":
        assert tx.provider is not None
        ctx.psp.deposit(str(tx.id), tx.provider, tx.amount, tx.currency, tx.provider_ref)
    return {"transaction": serialize.transaction(tx), "replay": not created}


@router.post("/withdraw")
def withdraw(body: WithdrawRequest, player: CurrentPlayer, key: IdempotencyKey, session: SessionDep,
             ctx: ContextDep, faults: FaultsDep) -> dict[str, Any]:
    if faults.active("withdraw_5xx"):  # FAULT: the withdraw endpoint is broken
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    tx, wallet = withdrawals.request_withdrawal(session, ctx, player, body.amount, body.method, body.address, key)
    session.commit()
    return {"transaction": serialize.transaction(tx), "balance": serialize.wallet(wallet)}
