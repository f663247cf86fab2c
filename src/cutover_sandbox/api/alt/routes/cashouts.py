"""alt: the finance back office's cashout queue, decision (accept / decline), settle by hand, dispatch to a PSP."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cutover_sandbox import records, withdrawals
from cutover_sandbox.api.alt import names, serialize
from cutover_sandbox.api.alt.deps import RequestId
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, FaultsDep, SessionDep, path_uuid
from cutover_sandbox.errors import ApiError
from cutover_sandbox.psp import PROVIDER

router = APIRouter(prefix="/v2/backoffice/cashouts", tags=["cashouts"])

Outcome = Literal["SUCCESS", "FAILURE"]


class Decision(BaseModel):
    verdict: Literal["ACCEPT", "DECLINE"]
    note: str | None = None


class Settle(BaseModel):
    note: str | None = None


class Dispatch(BaseModel):
    psp: str = PROVIDER
    simulate: Outcome = "SUCCESS"
    """What the mock PSP will report for this payout (a PSP other than the mock one reports by itself)."""


@router.get("")
def cashout_queue(_admin: CurrentAdmin, session: SessionDep, faults: FaultsDep, status: str | None = None,
                  member: str | None = None, size: Annotated[int, Query(ge=1, le=500)] = 50,
                  skip: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    if faults.active("readonly_endpoint_5xx"):  # FAULT: the cashout queue cannot be read
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    states = None
    if status:  # a status the dialect does not know matches nothing
        states = [names.WITHDRAWAL_STATES_IN.get(part.strip().upper(), "-") for part in status.split(",")]
    clauses = records.where(type="withdrawal", states=states,
                            player_id=path_uuid(member, "player") if member else None)
    rows, total = records.page(session, clauses, size, skip)
    return {"data": [serialize.cashout_row(tx) for tx in rows], "page": {"total": total, "size": size, "skip": skip}}


@router.post("/{ref}/decision")
def decide(ref: str, body: Decision, _admin: CurrentAdmin, session: SessionDep, faults: FaultsDep) -> dict[str, Any]:
    tx = withdrawals.review(session, faults, path_uuid(ref), names.VERDICTS[body.verdict])
    session.commit()
    return {"txn": serialize.txn(tx)}


@router.post("/{ref}/settle")
def settle(ref: str, _admin: CurrentAdmin, session: SessionDep, faults: FaultsDep,
           body: Settle | None = None) -> dict[str, Any]:
    tx = withdrawals.mark_paid(session, faults, path_uuid(ref))
    session.commit()
    return {"txn": serialize.txn(tx)}


def start_dispatch(session: SessionDep, ctx: ContextDep, ref: str, key: str, body: Dispatch) -> dict[str, Any]:
    """Shared by this router and `POST /v2/payouts/dispatch`."""
    simulate = names.OUTCOMES[body.simulate]
    tx, attempt, created = withdrawals.start_payout(session, path_uuid(ref), key, body.psp, simulate)
    session.commit()
    if created:
        ctx.psp.payout(str(tx.id), attempt.provider, f"{attempt.provider}_{attempt.id.hex}", simulate)
    return {"txn": serialize.txn(tx), "attempt": serialize.attempt(attempt), "replayed": not created}


@router.post("/{ref}/dispatch")
def dispatch(ref: str, _admin: CurrentAdmin, key: RequestId, session: SessionDep, ctx: ContextDep,
             body: Dispatch | None = None) -> dict[str, Any]:
    return start_dispatch(session, ctx, ref, key, body or Dispatch())
