"""alt: the member's own funds, activity, top-ups and cashout requests (writes carry `X-Request-Id`).

Top-up channels (`names.CHANNELS`): `card` is charged synchronously through the card PSP and answers `SETTLED` (the
ledger is credited before the answer; no webhook); `checkout` (the card PSP's hosted checkout) and `bank` (through
the acquirer) answer `AWAITING_PSP` and settle only on their PSP's signed webhook; `instant` is the staging test
channel (no PSP).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cutover_sandbox import payments, records, withdrawals
from cutover_sandbox.api.alt import names, serialize
from cutover_sandbox.api.alt.deps import RequestId
from cutover_sandbox.api.deps import ContextDep, CurrentPlayer, FaultsDep, SessionDep
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Wallet

router = APIRouter(prefix="/v2/me", tags=["me"])

Sum = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2)]
KINDS_IN = {alt: domain for domain, alt in names.KINDS.items()}


class Topup(BaseModel):
    value: Sum
    channel: str = "card"


class CashoutRequest(BaseModel):
    value: Sum
    channel: str = "bank_transfer"
    destination: str | None = None


@router.get("/funds")
def funds(member: CurrentPlayer, session: SessionDep) -> dict[str, Any]:
    wallet = session.get(Wallet, member.id)
    assert wallet is not None
    return {"funds": serialize.funds(wallet)}


@router.get("/activity")
def activity(member: CurrentPlayer, session: SessionDep, size: Annotated[int, Query(ge=1, le=500)] = 50,
             skip: Annotated[int, Query(ge=0)] = 0, kind: str | None = None) -> dict[str, Any]:
    domain_kind = KINDS_IN.get(kind.strip().upper(), "-") if kind else None
    rows, total = records.page(session, records.where(type=domain_kind, player_id=member.id), size, skip)
    return {"entries": [serialize.activity_entry(tx) for tx in rows],
            "page": {"total": total, "size": size, "skip": skip}}


@router.post("/topups")
def topup(body: Topup, member: CurrentPlayer, key: RequestId, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    channel = body.channel.strip().lower()
    tx, created = payments.create_deposit(session, ctx, member, body.value, channel, key, names.CHANNELS)
    session.commit()
    if created and tx.state == "pending_provider" and not names.CHANNELS[channel].synchronous:
        assert tx.provider is not None
        ctx.psp.deposit(str(tx.id), tx.provider, tx.amount, tx.currency, tx.provider_ref)
    return {"txn": serialize.txn(tx), "replayed": not created}


@router.post("/cashouts")
def cashout(body: CashoutRequest, member: CurrentPlayer, key: RequestId, session: SessionDep, ctx: ContextDep,
            faults: FaultsDep) -> dict[str, Any]:
    if faults.active("withdraw_5xx"):  # FAULT: the cashout endpoint is broken
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    payments.require_verified_contact(member, "cashing out")
    tx, wallet = withdrawals.request_withdrawal(session, ctx, member, body.value, body.channel, body.destination, key)
    session.commit()
    return {"txn": serialize.txn(tx), "funds": serialize.funds(wallet)}
