"""alt: the back office's operator sessions, whoami, overview, and a member's funds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cutover_sandbox import accounts, overview
from cutover_sandbox.api.alt import serialize
from cutover_sandbox.api.deps import CurrentAdmin, FaultsDep, SessionDep, SettingsDep, path_uuid
from cutover_sandbox.api.serialize import amount
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import Wallet

router = APIRouter(prefix="/v2/backoffice", tags=["backoffice"])


class OperatorLogin(BaseModel):
    login: str
    secret: str


@router.post("/sessions")
def open_session(body: OperatorLogin, session: SessionDep, settings: SettingsDep,
                 faults: FaultsDep) -> dict[str, Any]:
    admin, token = accounts.admin_login(session, settings, faults, body.login, body.secret)
    return {"session": {"token": token, "kind": "Bearer", "ttl": settings.token_ttl_seconds},
            "operator": serialize.operator(admin)}


@router.get("/whoami")
def whoami(admin: CurrentAdmin) -> dict[str, Any]:
    return {"operator": serialize.operator(admin)}


@router.get("/overview")
def overview_of_the_platform(_admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    now = overview.summary(session)
    return {
        "members": {"count": now.players, "kyc_verified": now.kyc_verified},
        "cashouts": {"open": now.withdrawals_open, "settled_sum": amount(now.withdrawals_paid_total)},
        "topups": {"settled_sum": amount(now.deposits_completed_total),
                   "awaiting_psp": now.deposits_pending_provider},
        "funds": {"free": amount(now.available), "locked": amount(now.held)},
        "as_of": datetime.now(UTC).isoformat(),
    }


@router.get("/members/{uid}/funds")
def member_funds(uid: str, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    wallet = session.get(Wallet, path_uuid(uid, "player"))
    if wallet is None:
        raise not_found("player")
    return {"member": str(wallet.player_id), "funds": serialize.funds(wallet, total=False)}
