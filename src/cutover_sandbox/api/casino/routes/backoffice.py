"""The admin UI's own withdrawal routes, beside the finance API: `POST /api/v1/withdrawals/{tx_id}/approve` and
`POST /api/v1/withdrawals/{tx_id}/mark-paid` (admin bearer, no body), each answering `200 {"transaction": {"id",
"state"}}` with the effects of review-approve and mark-paid (the same domain calls, the same faults); an illegal
transition is `409 ILLEGAL_TRANSACTION_STATE_TRANSITION`, an unknown withdrawal 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox import withdrawals
from cutover_sandbox.api.deps import CurrentAdmin, FaultsDep, SessionDep, path_uuid
from cutover_sandbox.errors import ApiError
from cutover_sandbox.faults import Faults
from cutover_sandbox.models import Transaction

router = APIRouter(prefix="/api/v1/withdrawals", tags=["admin-ui"])


def _broken(faults: Faults) -> None:
    if faults.active("admin_ui_payout_500"):  # FAULT: the admin UI's withdrawal routes fail and change nothing
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")


def _answer(tx: Transaction) -> dict[str, Any]:
    return {"transaction": {"id": str(tx.id), "state": tx.state}}


@router.post("/{tx_id}/approve")
def approve(tx_id: str, _admin: CurrentAdmin, session: SessionDep, faults: FaultsDep) -> dict[str, Any]:
    _broken(faults)
    tx = withdrawals.review(session, faults, path_uuid(tx_id), "approve")
    session.commit()
    return _answer(tx)


@router.post("/{tx_id}/mark-paid")
def mark_paid(tx_id: str, _admin: CurrentAdmin, session: SessionDep, faults: FaultsDep) -> dict[str, Any]:
    _broken(faults)
    tx = withdrawals.mark_paid(session, faults, path_uuid(tx_id))
    session.commit()
    return _answer(tx)
