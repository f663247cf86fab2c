"""Finance back office (admin): the withdrawal queue, review, mark paid, provider payout."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cutover_sandbox import records, withdrawals
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, FaultsDep, IdempotencyKey, SessionDep, path_uuid
from cutover_sandbox.errors import ApiError

router = APIRouter(prefix="/api/v1/finance/withdrawals", tags=["finance"])


class ReviewRequest(BaseModel):
    action: Literal["approve", "reject"]
    reason: str | None = None


class MarkPaidRequest(BaseModel):
    reason: str | None = None


class PayoutRequest(BaseModel):
    provider: str = "mockpsp"
    simulate: Literal["paid", "failed"] = "paid"
    """What the mock PSP will report for this payout."""


@router.get("")
def list_withdrawals(_admin: CurrentAdmin, session: SessionDep, faults: FaultsDep, state: str | None = None,
                     player_id: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    if faults.active("readonly_endpoint_5xx"):  # FAULT: the withdrawal queue cannot be read
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    clauses = records.where(type="withdrawal", states=[state] if state else None,
                            player_id=path_uuid(player_id, "player") if player_id else None)
    rows, total = records.page(session, clauses, limit, offset)
    return {"items": [serialize.transaction(tx) for tx in rows],
            "meta": {"total": total, "limit": limit, "offset": offset}}


@router.post("/{tx_id}/review")
def review(tx_id: str, body: ReviewRequest, _admin: CurrentAdmin, session: SessionDep,
           faults: FaultsDep) -> dict[str, Any]:
    tx = withdrawals.review(session, faults, path_uuid(tx_id), body.action)
    session.commit()
    return {"transaction": serialize.transaction(tx)}


@router.post("/{tx_id}/mark-paid")
def mark_paid(tx_id: str, _admin: CurrentAdmin, session: SessionDep, faults: FaultsDep,
              body: MarkPaidRequest | None = None) -> dict[str, Any]:
    tx = withdrawals.mark_paid(session, faults, path_uuid(tx_id))
    session.commit()
    return {"transaction": serialize.transaction(tx)}


def initiate_payout(session: SessionDep, ctx: ContextDep, tx_id: str, key: str, body: PayoutRequest) -> dict[str, Any]:
    """Shared by this router and `POST /api/v1/payouts/initiate`."""
    tx, attempt, created = withdrawals.start_payout(session, path_uuid(tx_id), key, body.provider, body.simulate)
    session.commit()
    if created:
        ctx.psp.payout(str(tx.id), attempt.provider, f"{attempt.provider}_{attempt.id.hex}", body.simulate)
    return {"transaction": serialize.transaction(tx), "payout": serialize.payout_attempt(attempt),
            "replay": not created}


@router.post("/{tx_id}/payout")
def payout(tx_id: str, _admin: CurrentAdmin, key: IdempotencyKey, session: SessionDep, ctx: ContextDep,
           body: PayoutRequest | None = None) -> dict[str, Any]:
    return initiate_payout(session, ctx, tx_id, key, body or PayoutRequest())
