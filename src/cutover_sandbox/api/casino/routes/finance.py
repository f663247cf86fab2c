"""Finance back office (admin), the casino way: the queue, review and mark-paid as on the contract; the payout is
synchronous (`cutover_sandbox.settlement.pay_out`): `POST /api/v1/finance/withdrawals/{tx_id}/payout` (+
Idempotency-Key) answers `200 {"transaction": {"state": "paid", ...}, "payout", "replay"}` with the ledger settled
exactly as mark-paid settles it (or `payout_failed`, the amount still held, when the PSP refuses it), and the PSP sends
no webhook. The payouts router (`POST /api/v1/payouts/initiate`, `GET /api/v1/payouts/status/{tx_id}`) likewise.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from cutover_sandbox import settlement
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, IdempotencyKey, SessionDep, path_uuid
from cutover_sandbox.api.routes import finance, payouts
from cutover_sandbox.api.routes.finance import PayoutRequest
from cutover_sandbox.core.context import AppContext

router = APIRouter(prefix="/api/v1/finance/withdrawals", tags=["finance"])
router.add_api_route("", finance.list_withdrawals, methods=["GET"])
router.add_api_route("/{tx_id}/review", finance.review, methods=["POST"])
router.add_api_route("/{tx_id}/mark-paid", finance.mark_paid, methods=["POST"])
payouts_router = APIRouter(prefix="/api/v1/payouts", tags=["payouts"])


def pay_out(session: Session, ctx: AppContext, tx_id: str, key: str, body: PayoutRequest) -> dict[str, Any]:
    tx, attempt, created = settlement.pay_out(session, ctx, path_uuid(tx_id), key, body.provider, body.simulate)
    session.commit()
    return {"transaction": serialize.transaction(tx), "payout": serialize.payout_attempt(attempt),
            "replay": not created}


@router.post("/{tx_id}/payout")
def payout(tx_id: str, _admin: CurrentAdmin, key: IdempotencyKey, session: SessionDep, ctx: ContextDep,
           body: PayoutRequest | None = None) -> dict[str, Any]:
    return pay_out(session, ctx, tx_id, key, body or PayoutRequest())


@payouts_router.post("/initiate")
def initiate(body: payouts.InitiateRequest, _admin: CurrentAdmin, key: IdempotencyKey, session: SessionDep,
             ctx: ContextDep) -> dict[str, Any]:
    return pay_out(session, ctx, body.tx_id, key, PayoutRequest(provider=body.provider, simulate=body.simulate))


payouts_router.add_api_route("/status/{tx_id}", payouts.status, methods=["GET"])
