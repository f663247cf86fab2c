"""The payouts router: provider payout initiation and status. Its presence is a T-15 smoke check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox import withdrawals
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, IdempotencyKey, SessionDep, path_uuid
from cutover_sandbox.api.routes.finance import PayoutRequest, initiate_payout
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import Transaction

router = APIRouter(prefix="/api/v1/payouts", tags=["payouts"])


class InitiateRequest(PayoutRequest):
    tx_id: str


@router.post("/initiate")
def initiate(body: InitiateRequest, _admin: CurrentAdmin, key: IdempotencyKey, session: SessionDep,
             ctx: ContextDep) -> dict[str, Any]:
    return initiate_payout(session, ctx, body.tx_id, key, PayoutRequest(provider=body.provider,
                                                                        simulate=body.simulate))


@router.get("/status/{tx_id}")
def status(tx_id: str, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    tx = session.get(Transaction, path_uuid(tx_id))
    if tx is None or tx.type != "withdrawal":
        raise not_found()
    return {"_id": str(tx.id), "status": tx.state, **serialize.transaction(tx),
            "payout_attempts": [serialize.payout_attempt(a) for a in withdrawals.attempts(session, tx.id)]}
