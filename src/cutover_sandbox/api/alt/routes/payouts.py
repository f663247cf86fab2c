"""alt: the payouts router, dispatch and status. Its presence is a T-15 smoke check (`OPTIONS /v2/payouts/dispatch`
answers 405 when it is mounted)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox import withdrawals
from cutover_sandbox.api.alt import names, serialize
from cutover_sandbox.api.alt.deps import RequestId
from cutover_sandbox.api.alt.routes.cashouts import Dispatch, start_dispatch
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, SessionDep, path_uuid
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import Transaction

router = APIRouter(prefix="/v2/payouts", tags=["payouts"])


class DispatchOrder(Dispatch):
    cashout_ref: str


@router.post("/dispatch")
def dispatch(body: DispatchOrder, _admin: CurrentAdmin, key: RequestId, session: SessionDep,
             ctx: ContextDep) -> dict[str, Any]:
    return start_dispatch(session, ctx, body.cashout_ref, key, Dispatch(psp=body.psp, simulate=body.simulate))


@router.get("/{ref}")
def payout(ref: str, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    tx = session.get(Transaction, path_uuid(ref))
    if tx is None or tx.type != "withdrawal":
        raise not_found()
    return {"payout": {"ref": str(tx.id), "phase": names.tx_status(tx.type, tx.state), "psp": tx.provider,
                       "sum": serialize.txn(tx)["sum"], "ccy": tx.currency, "changed_at": tx.updated_at.isoformat(),
                       "attempts": [serialize.attempt(a) for a in withdrawals.attempts(session, tx.id)]}}
