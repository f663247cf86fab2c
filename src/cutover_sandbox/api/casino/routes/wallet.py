"""The player's wallet, the casino way: balance and transactions as on the contract; deposit and withdraw with their
own idempotency-conflict codes (`DEPOSIT_IDEMPOTENCY_CONFLICT`, `WITHDRAW_IDEMPOTENCY_CONFLICT`); the Adyen method on
its own route (`POST /api/v1/payments/adyen/checkout/session`; on the deposit route `400 METHOD_NOT_SUPPORTED`); each
withdrawal request judged by the risk engine (`cutover_sandbox.risk`: `403 RISK_BLOCK`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cutover_sandbox import payments, risk, withdrawals
from cutover_sandbox.api import serialize
from cutover_sandbox.api.casino.errors import DEPOSIT_CONFLICT, WITHDRAW_CONFLICT, conflict_code
from cutover_sandbox.api.deps import ContextDep, CurrentPlayer, FaultsDep, IdempotencyKey, SessionDep
from cutover_sandbox.api.routes import wallet
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Player

router = APIRouter(prefix="/api/v1/player/wallet", tags=["wallet"])
router.add_api_route("/balance", wallet.balance, methods=["GET"])
router.add_api_route("/transactions", wallet.transactions, methods=["GET"])
adyen_router = APIRouter(prefix="/api/v1/payments/adyen", tags=["payments"])

ADYEN = "adyen"
WALLET_METHODS: Mapping[str, payments.Method] = {
    name: method for name, method in payments.DEFAULT_METHODS.items() if name != ADYEN}
"""The deposit route's methods: `test` at once, `card` (and `stripe`) through the card PSP's signed webhook."""
ADYEN_METHODS: Mapping[str, payments.Method] = {ADYEN: payments.DEFAULT_METHODS[ADYEN]}


class CheckoutSession(BaseModel):
    amount: wallet.Amount


def deposit_answer(session: Session, ctx: AppContext, player: Player, amount: Decimal, method: str, key: str,
                   methods: Mapping[str, payments.Method]) -> dict[str, Any]:
    with conflict_code(DEPOSIT_CONFLICT):
        tx, created = payments.create_deposit(session, ctx, player, amount, method, key, methods)
    session.commit()
    if created and tx.state == "pending_provider":
        assert tx.provider is not None
        ctx.psp.deposit(str(tx.id), tx.provider, tx.amount, tx.currency, tx.provider_ref)
    return {"transaction": serialize.transaction(tx), "replay": not created}


@router.post("/deposit")
def deposit(body: wallet.DepositRequest, player: CurrentPlayer, key: IdempotencyKey, session: SessionDep,
            ctx: ContextDep) -> dict[str, Any]:
    if body.method == ADYEN:
        raise ApiError(400, "METHOD_NOT_SUPPORTED",
                       "Adyen deposits start at POST /api/v1/payments/adyen/checkout/session")
    return deposit_answer(session, ctx, player, body.amount, body.method, key, WALLET_METHODS)


@adyen_router.post("/checkout/session")
def adyen_checkout_session(body: CheckoutSession, player: CurrentPlayer, key: IdempotencyKey, session: SessionDep,
                           ctx: ContextDep) -> dict[str, Any]:
    """An Adyen deposit, `pending_provider` until Adyen's signed AUTHORISATION notification completes it."""
    return deposit_answer(session, ctx, player, body.amount, ADYEN, key, ADYEN_METHODS)


@router.post("/withdraw")
def withdraw(body: wallet.WithdrawRequest, player: CurrentPlayer, key: IdempotencyKey, session: SessionDep,
             ctx: ContextDep, faults: FaultsDep) -> dict[str, Any]:
    if faults.active("withdraw_5xx"):  # FAULT: the withdraw endpoint is broken
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    with conflict_code(WITHDRAW_CONFLICT):
        tx, balance = withdrawals.request_withdrawal(session, ctx, player, body.amount, body.method, body.address, key,
                                                     guard=risk.withdrawal_guard(ctx))
    session.commit()
    return {"transaction": serialize.transaction(tx), "balance": serialize.wallet(balance)}
